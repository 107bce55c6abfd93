package io.virtdevice.testing;

import io.virtdevice.testing.fakes.FakeEventGateway;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;
import io.virtdevice.testing.fakes.FakeStripe;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

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
            // the SaaS limits (each user's plan; Fixtures.owner(n) sets it); self-hosting is tested on its own
            "virtdevice.billing.mode=plans",
            "spring.mail.host=127.0.0.1",
            "db-scheduler.polling-interval=200ms",
            "virtdevice.oauth.clients.web.redirect-uris=https://app.virtdevice.test/oauth/callback",
            "virtdevice.oauth.clients.web.client-secret=" + IntegrationTest.WEB_CLIENT_SECRET,
            "virtdevice.oauth.clients.alexa.vendor-id=M2TESTVENDOR",
            "virtdevice.oauth.clients.alexa.client-secret=" + IntegrationTest.ALEXA_CLIENT_SECRET,
            "virtdevice.oauth.clients.ifttt.service-id=virtdevice_test",
            "virtdevice.oauth.clients.ifttt.client-secret=" + IntegrationTest.IFTTT_CLIENT_SECRET,
            "virtdevice.oauth.clients.mobile.redirect-uris=io.virtdevice.app:/oauth2redirect",
            "virtdevice.oauth.clients.mobile.scopes=read",
            // webhooks may reach the tests' local receivers, and retry/disable within seconds
            "virtdevice.webhooks.allowed-cidrs=127.0.0.1/32",
            // FailingConsumer's poison events are skipped after two failures (about a second)
            "virtdevice.events.dispatch-max-failures=2",
            "virtdevice.webhooks.retry-delays=500ms,1s,1s",
            "virtdevice.webhooks.disable-after=2s",
            "virtdevice.webhooks.timeout=3s",
            // expired first-attempt leases are handed over within a second
            "virtdevice.webhooks.recover-interval=1s",
            // the suite sends many unknown tokens from one address; the throttle has its own test instance
            "virtdevice.security.unknown-token-limit=1000000",
            "virtdevice.management.metrics-token=" + IntegrationTest.METRICS_TOKEN,
            // Login with Amazon is FakeLoginWithAmazon (its Registration sets the URL and credentials); its
            // scripted slow answers outlast this
            "virtdevice.alexa.lwa.timeout=1s",
            // Alexa events go to the fake Event Gateway (its Registration sets the URLs), retried within a second
            "virtdevice.alexa.event-gateway.retry-delays=200ms,300ms,300ms",
            "virtdevice.alexa.event-gateway.poll-interval=100ms",
            "virtdevice.alexa.event-gateway.timeout=3s",
            // the published limits stay on (every /api response announces them) but out of other tests' way;
            // RateLimitTests starts its own instances with small quotas
            "virtdevice.limits.plans.free.api-requests.limit=1000000",
            "virtdevice.limits.plans.free.anonymous-requests.limit=1000000",
            "virtdevice.limits.plans.free.device-changes.limit=1000000",
            "virtdevice.limits.plans.free.user-changes.limit=1000000",
            "virtdevice.limits.plans.free.url-trigger-fires.limit=1000000",
            "virtdevice.limits.plans.free.webhook-tests.limit=1000000",
            "virtdevice.limits.plans.free.mails.limit=1000000",
            "virtdevice.limits.plans.free.oauth-token-requests.limit=1000000",
            "virtdevice.limits.plans.free.alexa-events.limit=1000000"
        })
@Import({MailSink.Registration.class, FailingConsumer.class, SurfaceProbe.class, FakeLoginWithAmazon.Registration.class,
    FakeEventGateway.Registration.class, FakeStripe.Registration.class})
public @interface IntegrationTest {

    /** The OAuth clients' secrets in the test configuration (clients of every type are configured). */
    String WEB_CLIENT_SECRET = "test-web-client-secret-0123456789abcdef";
    String ALEXA_CLIENT_SECRET = "test-alexa-client-secret-0123456789abcdef";
    String IFTTT_CLIENT_SECRET = "test-ifttt-client-secret-0123456789abcdef";
    /** The bearer token /actuator/prometheus wants in the test configuration. */
    String METRICS_TOKEN = "test-metrics-token-0123456789abcdef";
}
