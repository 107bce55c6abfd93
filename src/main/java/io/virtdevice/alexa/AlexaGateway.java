package io.virtdevice.alexa;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One POST of one message to a regional Event Gateway (spec §1, §7): {@code Authorization: Bearer} with the
 * LWA token that is also the message's scope token, JSON body. The gateway answers 202 with an empty body,
 * or an error whose {@code payload.code} says what went wrong (behaviour keys on it, not on the status).
 * Nothing is retried here.
 */
@Component
class AlexaGateway implements DisposableBean {

    private static final int MAX_RESPONSE_BYTES = 16 * 1024;

    private final HttpClient http;
    private final AlexaEventSettings settings;
    private final JsonMapper json;

    AlexaGateway(AlexaEventSettings settings, JsonMapper json) {
        this.settings = settings;
        this.json = json;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /**
     * What the gateway said.
     *
     * @param status the HTTP status, null when no answer came (network error, timeout)
     * @param code the error's {@code payload.code} (e.g. {@code SKILL_DISABLED_EXCEPTION}), null on success
     * @param error a short description of a failure, null on success
     */
    record Answer(Integer status, String code, String error, long latencyMs) {

        boolean accepted() {
            return status != null && status >= 200 && status < 300;
        }

        /** 429, 5xx, no answer: worth trying again later. */
        boolean transientFailure() {
            return status == null || status == 429 || status >= 500;
        }

        boolean invalidToken() {
            return status != null && (status == 401 || "INVALID_ACCESS_TOKEN_EXCEPTION".equals(code))
                    && !"SKILL_DISABLED_EXCEPTION".equals(code);
        }

        boolean skillDisabled() {
            return "SKILL_DISABLED_EXCEPTION".equals(code);
        }
    }

    Answer post(AlexaRegion region, String token, JsonNode message) {
        URI url = settings.url(region);
        HttpRequest request = HttpRequest.newBuilder(url)
                .timeout(settings.timeout())
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(message)))
                .build();
        long started = System.nanoTime();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readNBytes(MAX_RESPONSE_BYTES);
            }
            long latency = elapsed(started);
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return new Answer(status, null, null, latency);
            }
            String code = code(body);
            return new Answer(status, code, "HTTP " + status + (code == null ? "" : " " + code), latency);
        } catch (HttpTimeoutException e) {
            return new Answer(null, null, "no answer within " + settings.timeout().toMillis() + " ms", elapsed(started));
        } catch (ConnectException e) {
            return new Answer(null, null, "connection refused or unreachable", elapsed(started));
        } catch (IOException e) {
            return new Answer(null, null, "request failed: " + e.getClass().getSimpleName(), elapsed(started));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(null, null, "interrupted", elapsed(started));
        }
    }

    /** {@code payload.code} of the gateway's error body (spec §7), if it has one. */
    private String code(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        try {
            JsonNode code = json.readTree(new String(body, StandardCharsets.UTF_8)).path("payload").path("code");
            return code.isString() && code.asString().matches("[A-Z0-9_]{1,64}") ? code.asString() : null;
        } catch (JacksonException e) {
            return null;
        }
    }

    private static long elapsed(long started) {
        return Math.max(0, (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public void destroy() {
        http.close();
    }
}
