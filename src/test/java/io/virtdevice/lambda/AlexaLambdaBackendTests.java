package io.virtdevice.lambda;

import static io.virtdevice.lambda.LambdaHarness.control;
import static io.virtdevice.lambda.LambdaHarness.discover;
import static io.virtdevice.lambda.LambdaHarness.invoke;
import static io.virtdevice.lambda.LambdaHarness.settings;
import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.alexa.AlexaSchema;
import io.virtdevice.lambda.LambdaHarness.Invocation;
import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The Lambda handler in front of the real application (over HTTP, on its random port), with an access token from
 * the real authorization-code flow of the {@code alexa-smart-home} client: what Alexa gets through the Lambda is
 * what the application answers, schema-valid, and the change happens.
 */
@IntegrationTest
class AlexaLambdaBackendTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    AlexaLambda lambda;
    Api owner;
    String token;

    @BeforeEach
    void setUp() {
        lambda = new AlexaLambda(settings("http://127.0.0.1:" + port, 6500));
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner(10);
        owner = new Api(port).bearer(user.apiKey());
        token = new OAuthFlow(port).link(ALEXA, "read write", user.email()).accessToken();
    }

    @Test
    void discoverThroughTheLambdaListsTheUsersDevices() {
        JsonNode lamp = create("Desk lamp", "switch");
        JsonNode door = create("Front door", "contact_sensor");

        Invocation invocation = invoke(lambda, discover(token));

        JsonNode response = AlexaSchema.valid(invocation.json());
        assertThat(response.path("event").path("header").path("name").asString()).isEqualTo("Discover.Response");
        List<String> ids = new ArrayList<>();
        response.path("event").path("payload").path("endpoints").forEach(e -> ids.add(e.path("endpointId").asString()));
        assertThat(ids).containsExactlyInAnyOrder(lamp.path("alexaEndpointId").asString(),
                door.path("alexaEndpointId").asString());
        JsonNode log = invocation.logLine();
        assertThat(log.path("forwarded").asBoolean()).isTrue();
        assertThat(log.path("backendStatus").asInt()).isEqualTo(200);
        assertThat(String.join("\n", invocation.log())).doesNotContain(token);
    }

    @Test
    void turnOnThroughTheLambdaSwitchesTheDeviceAndAnswersWithItsNewState() {
        JsonNode lamp = create("Desk lamp", "switch");
        String endpointId = lamp.path("alexaEndpointId").asString();
        Map<String, Object> directive = control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of());

        JsonNode response = AlexaSchema.valid(invoke(lambda, directive).json());

        JsonNode event = response.path("event");
        assertThat(event.path("header").path("name").asString()).isEqualTo("Response");
        assertThat(event.path("header").path("correlationToken").asString())
                .isEqualTo(((Map<?, ?>) ((Map<?, ?>) directive.get("directive")).get("header")).get("correlationToken"));
        assertThat(event.path("endpoint").path("endpointId").asString()).isEqualTo(endpointId);
        JsonNode power = null;
        for (JsonNode property : response.path("context").path("properties")) {
            if (property.path("name").asString().equals("powerState")) {
                power = property;
            }
        }
        assertThat(power).isNotNull();
        assertThat(power.path("value").asString()).isEqualTo("ON");
        JsonNode stored = owner.get("/api/v1/devices/" + lamp.path("id").asString()).json();
        assertThat(stored.path("properties").path("power").path("value").asBoolean()).isTrue();
        assertThat(stored.path("properties").path("power").path("lastChangedBy").asString()).isEqualTo("alexa");
    }

    @Test
    void aTokenTheApplicationRefusesComesBackAsItsErrorResponseWithTheEcho() {
        JsonNode lamp = create("Desk lamp", "switch");
        Map<String, Object> directive = control("Alexa.PowerController", "TurnOn",
                lamp.path("alexaEndpointId").asString(), "vda_not-a-real-token-0123456789", Map.of());

        Invocation invocation = invoke(lambda, directive);

        AlexaLambdaTests.assertEchoingErrorFor(invocation, directive, "INVALID_AUTHORIZATION_CREDENTIAL",
                "vda_not-a-real-token-0123456789");
        assertThat(invocation.logLine().path("forwarded").asBoolean()).isTrue();
        JsonNode stored = owner.get("/api/v1/devices/" + lamp.path("id").asString()).json();
        assertThat(stored.path("properties").path("power").path("value").asBoolean()).isFalse();
    }

    private JsonNode create(String name, String type) {
        Api.Response created = owner.post("/api/v1/devices", Map.of("name", name, "type", type));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return created.json();
    }
}
