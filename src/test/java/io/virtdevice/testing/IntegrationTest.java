package io.virtdevice.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The whole application on a random port over the embedded PostgreSQL 16 (one server and one Spring
 * context per test JVM: every class with this annotation and no other configuration shares them). Tests
 * never clean tables: each creates its own tenants and users through {@link Fixtures}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "LOG_FORMAT=",
            "virtdevice.web.secure-cookies=false",
            "spring.mail.host=127.0.0.1",
            "spring.mail.port=3025",
            "db-scheduler.polling-interval=200ms",
            // webhooks may reach the tests' local receivers, and retry/disable within seconds
            "virtdevice.webhooks.allowed-cidrs=127.0.0.1/32",
            "virtdevice.webhooks.retry-delays=500ms,1s,1s",
            "virtdevice.webhooks.disable-after=2s",
            "virtdevice.webhooks.timeout=3s"
        })
public @interface IntegrationTest {}
