package io.virtdevice.alexa;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * Sends {@code Alexa.Authorization.AcceptGrant} directives the way the skill's Lambda forwards them (spec §5),
 * and checks every answer against Amazon's schema ({@link AlexaSchema}).
 */
public final class AcceptGrants {

    private AcceptGrants() {}

    /** The directive as Alexa sends it: no endpoint, no correlation token. */
    public static Map<String, Object> directive(String code, String granteeToken) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("grant", new LinkedHashMap<>(Map.of("type", "OAuth2.AuthorizationCode", "code", code)));
        payload.put("grantee", new LinkedHashMap<>(Map.of("type", "BearerToken", "token", granteeToken)));
        Map<String, Object> directive = new LinkedHashMap<>();
        directive.put("header", new LinkedHashMap<>(Map.of("namespace", "Alexa.Authorization", "name", "AcceptGrant",
                "payloadVersion", "3", "messageId", UUID.randomUUID().toString())));
        directive.put("payload", payload);
        return new LinkedHashMap<>(Map.of("directive", directive));
    }

    /**
     * POSTs the directive with the Lambda's region header ({@code region} null: none), expects HTTP 200 and a
     * schema-valid message.
     */
    public static JsonNode send(int port, Map<String, Object> directive, String region) {
        Map<String, String> headers = region == null ? Map.of()
                : Map.of(AlexaAcceptGrant.REGION_HEADER, region);
        Api.Response response = new Api(port).send("POST", "/alexa/v3/directives", directive, headers);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return AlexaSchema.valid(response.json());
    }

    /** Sends AcceptGrant and asserts it succeeded: {@code Alexa.Authorization AcceptGrant.Response}. */
    public static JsonNode accept(int port, String code, String granteeToken, String region) {
        JsonNode response = send(port, directive(code, granteeToken), region);
        JsonNode header = response.path("event").path("header");
        assertThat(header.path("namespace").asString()).as(response.toString()).isEqualTo("Alexa.Authorization");
        assertThat(header.path("name").asString()).as(response.toString()).isEqualTo("AcceptGrant.Response");
        assertThat(response.path("event").path("payload").isEmpty()).isTrue();
        return response;
    }

    /** Asserts the answer is {@code Alexa.Authorization ErrorResponse ACCEPT_GRANT_FAILED}. */
    public static void assertFailed(JsonNode response) {
        JsonNode event = response.path("event");
        assertThat(event.path("header").path("namespace").asString()).as(response.toString())
                .isEqualTo("Alexa.Authorization");
        assertThat(event.path("header").path("name").asString()).isEqualTo("ErrorResponse");
        assertThat(event.path("payload").path("type").asString()).isEqualTo("ACCEPT_GRANT_FAILED");
        assertThat(event.path("payload").path("message").asString()).isNotBlank();
    }
}
