package io.virtdevice.alexa;

import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Login with Amazon's token endpoint (shared/spec/alexa.md §5): exchanges AcceptGrant's code and refreshes
 * access tokens, authenticating with the skill's messaging credentials in the form body (exactly the fields
 * LWA documents, nothing else). One attempt per call within {@code virtdevice.alexa.lwa.timeout}: the caller
 * decides what a failure means (a code is never retried).
 */
@Component
class LoginWithAmazon {

    private static final Logger log = LoggerFactory.getLogger(LoginWithAmazon.class);
    /** The most of an answer read: LWA's are a few hundred bytes. */
    private static final int MAX_ANSWER_BYTES = 64 * 1024;
    /** The longest token kept (LWA's are about 400-600 characters). */
    private static final int MAX_TOKEN_LENGTH = 4096;
    /** LWA's documented lifetime, when an answer leaves expires_in out. */
    private static final long DEFAULT_EXPIRES_IN = 3600;

    /** What LWA answered. */
    sealed interface Result {}

    /** New tokens; {@code refreshToken} is null when a refresh answer kept the old one. */
    record Granted(String accessToken, String refreshToken, Duration expiresIn) implements Result {
        @Override
        public String toString() {
            return "Granted[expiresIn=" + expiresIn + "]";
        }
    }

    /**
     * LWA refused the request for good: {@code invalid_grant} or another 4xx about the grant. {@code clientError}
     * is true when it refused the skill's own credentials ({@code invalid_client}, {@code unauthorized_client}):
     * an operator's mistake, not the user's.
     */
    record Refused(int status, String error, boolean clientError) implements Result {}

    /** No usable answer: a time-out, a network failure, a 5xx, 429, or a 200 without tokens. */
    record Unavailable(String reason) implements Result {}

    private final AlexaLinkSettings settings;
    private final JsonMapper json;
    private final HttpClient http;

    LoginWithAmazon(AlexaLinkSettings settings, JsonMapper json) {
        this.settings = settings;
        this.json = json;
        Duration timeout = settings.lwa().timeout();
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout.compareTo(Duration.ofSeconds(2)) < 0 ? timeout : Duration.ofSeconds(2))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @PreDestroy
    void close() {
        http.shutdownNow();
    }

    /** {@code grant_type=authorization_code}: AcceptGrant's code for the user's first tokens. */
    Result exchange(String code) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code);
        return call(form, true);
    }

    /** {@code grant_type=refresh_token}: a new access token (and maybe a new refresh token). */
    Result refresh(String refreshToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken);
        return call(form, false);
    }

    private Result call(Map<String, String> form, boolean requireRefreshToken) {
        AlexaLinkSettings.Messaging messaging = settings.messaging();
        if (!messaging.configured()) {
            return new Unavailable("virtdevice.alexa.messaging.client-id and client-secret are not set");
        }
        form.put("client_id", messaging.clientId());
        form.put("client_secret", messaging.clientSecret());
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(settings.lwa().tokenUrl())
                .timeout(settings.lwa().timeout())
                .header("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        int status;
        byte[] answer;
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            try (InputStream in = response.body()) {
                answer = in.readNBytes(MAX_ANSWER_BYTES);
            }
        } catch (HttpTimeoutException e) {
            return new Unavailable("LWA did not answer within " + settings.lwa().timeout().toMillis() + " ms");
        } catch (IOException e) {
            return new Unavailable("LWA unreachable: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Unavailable("interrupted");
        }
        JsonNode node = parse(answer);
        if (status == 200) {
            return granted(node, requireRefreshToken);
        }
        String error = node.path("error").isString() ? sanitised(node.path("error").asString()) : null;
        if (status == 400 || status == 401 || status == 403) {
            boolean clientError = "invalid_client".equals(error) || "unauthorized_client".equals(error)
                    || (status == 401 && error == null);
            if (clientError) {
                log.error("Login with Amazon refused the skill's messaging credentials ({} {}): check "
                        + "virtdevice.alexa.messaging.client-id and client-secret (Build > Permissions, "
                        + "Alexa Skill Messaging)", status, error);
            }
            return new Refused(status, error == null ? "http_" + status : error, clientError);
        }
        return new Unavailable("LWA answered HTTP " + status + (error == null ? "" : " " + error));
    }

    private Result granted(JsonNode node, boolean requireRefreshToken) {
        String access = token(node.path("access_token"));
        String refresh = token(node.path("refresh_token"));
        if (access == null || (requireRefreshToken && refresh == null)) {
            return new Unavailable("LWA answered 200 without " + (access == null ? "access_token" : "refresh_token"));
        }
        long expiresIn = node.path("expires_in").canConvertToLong() ? node.path("expires_in").longValue()
                : DEFAULT_EXPIRES_IN;
        if (expiresIn <= 0 || expiresIn > Duration.ofDays(30).toSeconds()) {
            return new Unavailable("LWA answered an expires_in of " + expiresIn);
        }
        return new Granted(access, refresh, Duration.ofSeconds(expiresIn));
    }

    private JsonNode parse(byte[] answer) {
        try {
            return answer.length == 0 ? json.createObjectNode() : json.readTree(answer);
        } catch (JacksonException e) {
            return json.createObjectNode();
        }
    }

    private static String token(JsonNode node) {
        if (!node.isString()) {
            return null;
        }
        String value = node.asString();
        return value.isEmpty() || value.length() > MAX_TOKEN_LENGTH
                || value.chars().anyMatch(c -> c < 0x21 || c > 0x7e) ? null : value;
    }

    /** An error code fit for a log line and the diagnostics: printable ASCII, at most 64 characters. */
    static String sanitised(String text) {
        String cleaned = text.replaceAll("[^A-Za-z0-9_.:-]", "");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
    }
}
