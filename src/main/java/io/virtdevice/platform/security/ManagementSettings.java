package io.virtdevice.platform.security;

import io.virtdevice.platform.web.ProblemTypes;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.security.web.AuthenticationEntryPoint;

/**
 * Operations endpoints ({@code virtdevice.management.*}).
 *
 * @param metricsToken the bearer token a Prometheus scraper must send to {@code /actuator/prometheus}
 *     ({@code authorization: {credentials: ...}} in its scrape config); unset = nobody can scrape
 */
@ConfigurationProperties("virtdevice.management")
record ManagementSettings(String metricsToken) {

    ManagementSettings {
        if (metricsToken != null && !metricsToken.isBlank() && metricsToken.strip().length() < 16) {
            throw new IllegalStateException("virtdevice.management.metrics-token must be at least 16 characters");
        }
    }

    boolean metricsTokenMatches(HttpServletRequest request) {
        if (metricsToken == null || metricsToken.isBlank()) {
            return false;
        }
        String presented = BearerTokenFilter.bearer(request).orElse("");
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                metricsToken.strip().getBytes(StandardCharsets.UTF_8));
    }

    static AuthenticationEntryPoint unauthenticated() {
        return (request, response, ex) -> {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"virtdevice-metrics\"");
            ProblemResponses.write(response, 401, ProblemTypes.UNAUTHENTICATED, "Unauthenticated",
                    "Send the configured metrics token (virtdevice.management.metrics-token) as 'Authorization: Bearer <token>'.");
        };
    }
}
