package io.virtdevice.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Runs {@link AlexaLambda} as the Lambda runtime would: a stream in, a stream out, a {@link Context}. */
final class LambdaHarness {

    static final JsonMapper JSON = JsonMapper.builder().build();

    private LambdaHarness() {}

    /** Settings pointing at a backend base URL (as VIRTDEVICE_URL would), region EU. */
    static LambdaSettings settings(String baseUrl, long deadlineMillis) {
        return new LambdaSettings(LambdaSettings.directivesUri(baseUrl), "EU", deadlineMillis, null);
    }

    /** What one invocation returned and logged. */
    record Invocation(byte[] output, List<String> log) {
        JsonNode json() {
            return JSON.readTree(output);
        }

        /** The invocation's single log line, parsed. */
        JsonNode logLine() {
            if (log.size() != 1) {
                throw new AssertionError("expected one log line, got " + log);
            }
            return JSON.readTree(log.get(0));
        }
    }

    static Invocation invoke(AlexaLambda handler, Object directive) {
        return invoke(handler, bytes(directive), 8000);
    }

    static Invocation invoke(AlexaLambda handler, byte[] body, int remainingMillis) {
        TestContext context = new TestContext(remainingMillis);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.handleRequest(new ByteArrayInputStream(body), out, context);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Invocation(out.toByteArray(), List.copyOf(context.lines));
    }

    static byte[] bytes(Object value) {
        return value instanceof byte[] b ? b
                : value instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : JSON.writeValueAsBytes(value);
    }

    // --- directives as Alexa sends them (shared/spec/alexa.md §3-§5) ---------------------------------------

    static Map<String, Object> discover(String token) {
        Map<String, Object> payload = new LinkedHashMap<>();
        if (token != null) {
            payload.put("scope", Map.of("type", "BearerToken", "token", token));
        }
        return Map.of("directive", Map.of("header", header("Alexa.Discovery", "Discover", null),
                "payload", payload));
    }

    static Map<String, Object> control(String namespace, String name, String endpointId, String token,
            Map<String, Object> payload) {
        Map<String, Object> endpoint = new LinkedHashMap<>();
        if (token != null) {
            endpoint.put("scope", Map.of("type", "BearerToken", "token", token));
        }
        endpoint.put("endpointId", endpointId);
        endpoint.put("cookie", Map.of("room", "hall"));
        return Map.of("directive", Map.of("header", header(namespace, name, "corr-" + UUID.randomUUID()),
                "endpoint", endpoint, "payload", payload));
    }

    static Map<String, Object> acceptGrant(String token) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("grant", Map.of("type", "OAuth2.AuthorizationCode", "code", "ANUbUKCJqlBOpMhwYWxU"));
        if (token != null) {
            payload.put("grantee", Map.of("type", "BearerToken", "token", token));
        }
        return Map.of("directive", Map.of("header", header("Alexa.Authorization", "AcceptGrant", null),
                "payload", payload));
    }

    private static Map<String, Object> header(String namespace, String name, String correlationToken) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("namespace", namespace);
        header.put("name", name);
        header.put("payloadVersion", "3");
        header.put("messageId", UUID.randomUUID().toString());
        if (correlationToken != null) {
            header.put("correlationToken", correlationToken);
        }
        return header;
    }

    /** A Lambda {@link Context} with a fixed remaining time and a logger that keeps the lines. */
    static final class TestContext extends LambdaColdStart.FixedContext {
        final List<String> lines;

        TestContext(int remainingMillis) {
            this(remainingMillis, new CopyOnWriteArrayList<>());
        }

        private TestContext(int remainingMillis, List<String> lines) {
            super(remainingMillis, new LambdaLogger() {
                @Override
                public void log(String message) {
                    lines.add(message.strip());
                }

                @Override
                public void log(byte[] message) {
                    log(new String(message, StandardCharsets.UTF_8));
                }
            });
            this.lines = lines;
        }
    }
}
