package io.virtdevice.testing;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Test-only endpoints under {@code /test-probe/**}: one that writes a log line, one that takes two
 * seconds. Deliberately not a component, so scanning never picks it up: it exists only in an
 * {@link AppInstance} started with this class as an extra source.
 */
public class ProbeRoutes {

    public static final String LOG_MESSAGE = "probe request handled";
    private static final Logger log = LoggerFactory.getLogger(ProbeRoutes.class);

    private final CountDownLatch slowRequestStarted = new CountDownLatch(1);
    private final AtomicBoolean slowRequestFinished = new AtomicBoolean();

    @Bean
    @Order(1)
    SecurityFilterChain probeChain(HttpSecurity http) throws Exception {
        return http.securityMatcher("/test-probe/**")
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .csrf(c -> c.disable())
                .build();
    }

    @Bean
    RouterFunction<ServerResponse> probeRouter() {
        return RouterFunctions.route()
                .GET("/test-probe/log", request -> {
                    log.info(LOG_MESSAGE);
                    return ServerResponse.ok().body("logged");
                })
                .GET("/test-probe/slow", request -> {
                    slowRequestStarted.countDown();
                    Thread.sleep(2_000); // a slow handler, not synchronisation
                    slowRequestFinished.set(true);
                    return ServerResponse.ok().body("finished");
                })
                .build();
    }

    public boolean awaitSlowRequest(Duration timeout) throws InterruptedException {
        return slowRequestStarted.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the slow request's handler has run to its end. */
    public boolean slowRequestFinished() {
        return slowRequestFinished.get();
    }
}
