package io.virtdevice.alexa;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.IFTTT;
import static io.virtdevice.oauth.OAuthFlow.WEB;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /alexa/v3/directives} over real HTTP with an access token from the real authorization-code flow
 * of the {@code alexa-smart-home} client, every answer validated against Amazon's message schema
 * ({@link AlexaSchema}): Discover (§3), PowerController and BrightnessController (§4.1, §4.2), ReportState
 * (§4.3) and the errors of §6 — the conformance checks 1 and 3-15 of shared/spec/alexa.md §10.
 */
@IntegrationTest
class AlexaDirectiveTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    OAuthFlow flow;
    Fixtures.TestUser user;
    Api owner;
    String token;
    /** device type -> the REST representation of the user's device of that type. */
    Map<String, JsonNode> devices;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        user = new Fixtures(dataSource, hasher).owner(20);
        owner = new Api(port).bearer(user.apiKey());
        token = flow.link(ALEXA, "read write", user.email()).accessToken();
        devices = new LinkedHashMap<>();
        for (String type : List.of("switch", "dimmer", "contact_sensor", "motion_sensor", "temperature_sensor",
                "doorbell")) {
            devices.put(type, create(owner, type + " one", type));
        }
    }

    // --- Discovery (§3; §10 checks 7-9) -------------------------------------------------------------

    @Test
    void discoverListsEveryDeviceWithTheExactCapabilitiesOfItsType() {
        JsonNode response = send(discover(token));
        JsonNode header = response.path("event").path("header");
        assertThat(header.path("namespace").asString()).isEqualTo("Alexa.Discovery");
        assertThat(header.path("name").asString()).isEqualTo("Discover.Response");
        assertThat(response.path("event").has("endpoint")).isFalse();
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        response.path("event").path("payload").path("endpoints").forEach(e -> byId.put(e.path("endpointId").asString(), e));
        assertThat(byId).hasSize(6);

        Map<String, String> categories = Map.of("switch", "SWITCH", "dimmer", "LIGHT", "contact_sensor",
                "CONTACT_SENSOR", "motion_sensor", "MOTION_SENSOR", "temperature_sensor", "TEMPERATURE_SENSOR",
                "doorbell", "DOORBELL");
        Map<String, Map<String, List<String>>> capabilities = Map.of(
                "switch", Map.of("Alexa.PowerController", List.of("powerState")),
                "dimmer", Map.of("Alexa.PowerController", List.of("powerState"),
                        "Alexa.BrightnessController", List.of("brightness")),
                "contact_sensor", Map.of("Alexa.ContactSensor", List.of("detectionState")),
                "motion_sensor", Map.of("Alexa.MotionSensor", List.of("detectionState")),
                "temperature_sensor", Map.of("Alexa.TemperatureSensor", List.of("temperature")),
                "doorbell", Map.of());
        devices.forEach((type, device) -> {
            JsonNode endpoint = byId.get(device.path("alexaEndpointId").asString());
            assertThat(endpoint).as(type).isNotNull();
            assertThat(endpoint.path("endpointId").asString()).matches("vd_[0-9a-f]{32}");
            assertThat(endpoint.path("manufacturerName").asString()).isEqualTo("VirtDevice");
            assertThat(endpoint.path("friendlyName").asString()).isEqualTo(type + " one");
            assertThat(endpoint.path("description").asString()).endsWith("by VirtDevice");
            assertThat(endpoint.path("displayCategories").size()).isEqualTo(1);
            assertThat(endpoint.path("displayCategories").get(0).asString()).isEqualTo(categories.get(type));
            assertThat(endpoint.path("additionalAttributes").path("manufacturer").asString()).isEqualTo("VirtDevice");
            assertThat(endpoint.path("additionalAttributes").path("model").asString()).startsWith("Virtual ");

            Map<String, JsonNode> interfaces = new LinkedHashMap<>();
            endpoint.path("capabilities").forEach(c -> {
                assertThat(c.path("type").asString()).isEqualTo("AlexaInterface");
                assertThat(c.path("version").asString()).isEqualTo("3");
                interfaces.put(c.path("interface").asString(), c);
            });
            Set<String> expected = new HashSet<>(capabilities.get(type).keySet());
            expected.add("Alexa.EndpointHealth");
            expected.add("Alexa");
            if (type.equals("doorbell")) {
                expected.add("Alexa.DoorbellEventSource");
            }
            assertThat(interfaces.keySet()).as(type).containsExactlyInAnyOrderElementsOf(expected);
            Map<String, List<String>> withHealth = new LinkedHashMap<>(capabilities.get(type));
            withHealth.put("Alexa.EndpointHealth", List.of("connectivity"));
            withHealth.forEach((name, properties) -> {
                JsonNode props = interfaces.get(name).path("properties");
                List<String> supported = new ArrayList<>();
                props.path("supported").forEach(p -> supported.add(p.path("name").asString()));
                assertThat(supported).as(type + " " + name).containsExactlyElementsOf(properties);
                assertThat(props.path("proactivelyReported").isBoolean()).isTrue();
                assertThat(props.path("proactivelyReported").asBoolean()).isTrue();
                assertThat(props.path("retrievable").isBoolean()).isTrue();
                assertThat(props.path("retrievable").asBoolean()).isTrue();
            });
            assertThat(interfaces.get("Alexa").has("properties")).isFalse();
        });
        JsonNode bell = interfaces(byId.get(devices.get("doorbell").path("alexaEndpointId").asString()))
                .get("Alexa.DoorbellEventSource");
        assertThat(bell.has("properties")).isFalse();
        assertThat(bell.path("proactivelyReported").isBoolean()).isTrue();
        assertThat(bell.path("proactivelyReported").asBoolean()).isTrue();

        // stable: a second Discover returns the same ids
        JsonNode again = send(discover(token));
        List<String> ids = new ArrayList<>();
        again.path("event").path("payload").path("endpoints").forEach(e -> ids.add(e.path("endpointId").asString()));
        assertThat(ids).containsExactlyElementsOf(byId.keySet());
        // a fresh messageId per message
        assertThat(again.path("event").path("header").path("messageId").asString())
                .isNotEqualTo(response.path("event").path("header").path("messageId").asString());
    }

    @Test
    void discoverSanitisesNamesAndDescriptionsToAmazonsLimits() {
        String description = "A \"quoted\" (description) with [brackets] ".repeat(3).strip();
        JsonNode created = owner.post("/api/v1/devices", Map.of("name", "odd names", "type", "switch",
                "friendlyName", "Desk {lamp} <2> 100% *bright*!", "description", description)).json();
        JsonNode endpoint = endpoint(send(discover(token)), created.path("alexaEndpointId").asString());

        assertThat(endpoint.path("friendlyName").asString()).isEqualTo("Desk lamp 2 100 bright");
        String sanitised = endpoint.path("description").asString();
        assertThat(sanitised).isEqualTo("A quoted description with brackets ".repeat(3).strip());
        assertThat(sanitised).doesNotContainPattern("[}{\\\\/|\"()\\[\\]+~!><*%]");
    }

    @Test
    void discoverListsAll300EndpointsOfAFullAccount() {
        // 300 is the highest plan's limit and the schema's maxItems (the schema check rejects 301)
        Fixtures.TestUser many = new Fixtures(dataSource, hasher).owner(300);
        Api api = new Api(port).bearer(many.apiKey());
        for (int i = 0; i < 300; i++) {
            assertThat(api.post("/api/v1/devices", Map.of("name", "sensor " + i, "type", "motion_sensor")).status())
                    .isEqualTo(201);
        }
        String manyToken = flow.link(ALEXA, "read write", many.email()).accessToken();

        JsonNode endpoints = send(discover(manyToken)).path("event").path("payload").path("endpoints");

        assertThat(endpoints.size()).isEqualTo(300);
        Set<String> ids = new HashSet<>();
        endpoints.forEach(e -> ids.add(e.path("endpointId").asString()));
        assertThat(ids).hasSize(300);
    }

    // --- PowerController (§4.1; §10 checks 5, 10) ------------------------------------------------------

    @Test
    void turnOnAndTurnOffChangeTheSwitchThroughTheDevicesModuleAsAlexa() {
        JsonNode device = devices.get("switch");
        String endpointId = device.path("alexaEndpointId").asString();

        JsonNode on = send(control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of()));

        assertResponse(on, "Response", endpointId);
        assertThat(property(on, "Alexa.PowerController", "powerState").asString()).isEqualTo("ON");
        assertThat(property(on, "Alexa.EndpointHealth", "connectivity").path("value").asString()).isEqualTo("OK");
        JsonNode stored = owner.get("/api/v1/devices/" + device.path("id").asString()).json();
        assertThat(stored.path("properties").path("power").path("value").asBoolean()).isTrue();
        assertThat(stored.path("properties").path("power").path("lastChangedBy").asString()).isEqualTo("alexa");
        JsonNode activity = owner.get("/api/v1/activity?deviceId=" + device.path("id").asString()
                + "&action=alexa_command").json().path("items");
        assertThat(activity.size()).isEqualTo(1);
        assertThat(activity.get(0).path("source").asString()).isEqualTo("alexa");

        JsonNode off = send(control("Alexa.PowerController", "TurnOff", endpointId, token, Map.of()));
        assertThat(property(off, "Alexa.PowerController", "powerState").asString()).isEqualTo("OFF");
        JsonNode offAgain = send(control("Alexa.PowerController", "TurnOff", endpointId, token, Map.of()));
        assertResponse(offAgain, "Response", endpointId);
        assertThat(property(offAgain, "Alexa.PowerController", "powerState").asString()).isEqualTo("OFF");
        assertThat(owner.get("/api/v1/devices/" + device.path("id").asString()).json().path("version").asLong())
                .isEqualTo(stored.path("version").asLong() + 1);
    }

    @Test
    void theTokenMayComeAsAuthorizationHeaderToo() {
        Map<String, Object> directive = discover(null);
        Api.Response response = new Api(port).bearer(token).post("/alexa/v3/directives", directive);
        assertThat(response.status()).isEqualTo(200);
        assertThat(AlexaSchema.valid(response.json()).path("event").path("payload").path("endpoints").size())
                .isEqualTo(6);
    }

    @Test
    void theTokenIsReadFromPayloadGranteeAndTheBodyWhateverItsContentType() {
        Map<String, Object> grant = new LinkedHashMap<>(Map.of("directive", new LinkedHashMap<>(Map.of(
                "header", Map.of("namespace", "Alexa.Authorization", "name", "AcceptGrant", "payloadVersion", "3",
                        "messageId", UUID.randomUUID().toString()),
                "payload", new LinkedHashMap<>(Map.of(
                        "grant", Map.of("type", "OAuth2.AuthorizationCode", "code", "ANUbUKCJqlBOpMhwYWxU"),
                        "grantee", Map.of("type", "BearerToken", "token", "vda_" + UUID.randomUUID())))))));
        // AcceptGrant answers every refusal, the grantee's included, with ACCEPT_GRANT_FAILED (AcceptGrantTests)
        AcceptGrants.assertFailed(send(grant));
        // with Alexa's token it gets past the credential check, to LWA (which does not know this code)
        ((Map<String, Object>) directive(grant).get("payload")).put("grantee",
                Map.of("type", "BearerToken", "token", token));
        AcceptGrants.assertFailed(send(grant));
        assertThat(send(discover(token)).path("event").path("payload").path("endpoints").size()).isEqualTo(6);

        Api.Response plain = new Api(port).send("POST", "/alexa/v3/directives",
                "{\"directive\":{\"header\":{\"namespace\":\"Alexa.Discovery\",\"name\":\"Discover\","
                        + "\"payloadVersion\":\"3\",\"messageId\":\"m-2\"},\"payload\":{\"scope\":{"
                        + "\"type\":\"BearerToken\",\"token\":\"" + token + "\"}}}}",
                Map.of("Content-Type", "text/plain"));
        assertThat(plain.status()).isEqualTo(200);
        assertThat(AlexaSchema.valid(plain.json()).path("event").path("payload").path("endpoints").size())
                .isEqualTo(6);
    }

    // --- BrightnessController (§4.2; §10 checks 11, 12) ------------------------------------------------

    @Test
    void brightnessFollowsAmazonsTestPlans() {
        String dimmer = devices.get("dimmer").path("alexaEndpointId").asString();

        assertDimmer(set(dimmer, 50), 50, "ON");
        // Adjust clamps to [0,100]: 100+10 -> 100, 0-25 -> 0
        assertDimmer(set(dimmer, 95), 95, "ON");
        assertDimmer(adjust(dimmer, 10), 100, "ON");
        assertDimmer(adjust(dimmer, 10), 100, "ON");
        assertDimmer(set(dimmer, 10), 10, "ON");
        assertDimmer(adjust(dimmer, -25), 0, "OFF");
        // TurnOn after brightness 0: 100
        assertDimmer(power(dimmer, "TurnOn"), 100, "ON");
        // reaching 0 by Adjust turns off
        assertDimmer(set(dimmer, 25), 25, "ON");
        assertDimmer(adjust(dimmer, -25), 0, "OFF");
        // TurnOn after TurnOff restores the previous brightness
        assertDimmer(set(dimmer, 50), 50, "ON");
        assertDimmer(power(dimmer, "TurnOff"), 50, "OFF");
        assertDimmer(power(dimmer, "TurnOn"), 50, "ON");
        // Adjust while OFF: negative stays OFF, positive sets the delta and turns on
        assertDimmer(power(dimmer, "TurnOff"), 50, "OFF");
        assertDimmer(adjust(dimmer, -10), 50, "OFF");
        assertDimmer(adjust(dimmer, 25), 25, "ON");
        // SetBrightness 0 turns off
        assertDimmer(set(dimmer, 0), 0, "OFF");
    }

    @Test
    void outOfRangeBrightnessIsValueOutOfRangeWithTheValidRangeAndChangesNothing() {
        JsonNode device = devices.get("dimmer");
        String dimmer = device.path("alexaEndpointId").asString();
        long version = device.path("version").asLong();

        JsonNode set = send(control("Alexa.BrightnessController", "SetBrightness", dimmer, token,
                Map.of("brightness", 150)));
        assertError(set, "VALUE_OUT_OF_RANGE", dimmer);
        assertThat(set.path("event").path("payload").path("validRange").path("minimumValue").asInt()).isEqualTo(0);
        assertThat(set.path("event").path("payload").path("validRange").path("maximumValue").asInt()).isEqualTo(100);

        JsonNode adjust = send(control("Alexa.BrightnessController", "AdjustBrightness", dimmer, token,
                Map.of("brightnessDelta", 500)));
        assertError(adjust, "VALUE_OUT_OF_RANGE", dimmer);
        assertThat(adjust.path("event").path("payload").path("validRange").path("minimumValue").asInt())
                .isEqualTo(-100);
        assertThat(adjust.path("event").path("payload").path("validRange").path("maximumValue").asInt())
                .isEqualTo(100);

        assertError(send(control("Alexa.BrightnessController", "SetBrightness", dimmer, token,
                Map.of("brightness", -1))), "VALUE_OUT_OF_RANGE", dimmer);
        assertError(send(control("Alexa.BrightnessController", "SetBrightness", dimmer, token,
                Map.of("brightness", 55.5))), "INVALID_DIRECTIVE", dimmer);
        assertError(send(control("Alexa.BrightnessController", "SetBrightness", dimmer, token,
                Map.of("brightness", "bright"))), "INVALID_DIRECTIVE", dimmer);
        assertError(send(control("Alexa.BrightnessController", "SetBrightness", dimmer, token, Map.of())),
                "INVALID_DIRECTIVE", dimmer);
        assertThat(owner.get("/api/v1/devices/" + device.path("id").asString()).json().path("version").asLong())
                .isEqualTo(version);
    }

    // --- ReportState (§4.3; §10 check 13) ----------------------------------------------------------------

    @Test
    void reportStateAnswersAStateReportWithEveryPropertyOfEveryType() {
        setProperties("contact_sensor", Map.of("contact", "open"));
        setProperties("temperature_sensor", Map.of("temperature", 21.5));
        setProperties("dimmer", Map.of("power", true, "brightness", 40));

        Map<String, JsonNode> reports = new LinkedHashMap<>();
        devices.forEach((type, device) -> {
            String endpointId = device.path("alexaEndpointId").asString();
            JsonNode report = send(control("Alexa", "ReportState", endpointId, token, Map.of()));
            assertResponse(report, "StateReport", endpointId);
            assertThat(report.path("event").path("payload").isEmpty()).isTrue();
            assertThat(property(report, "Alexa.EndpointHealth", "connectivity").path("value").asString())
                    .isEqualTo("OK");
            reports.put(type, report);
        });
        assertThat(names(reports.get("switch"))).containsExactly("powerState", "connectivity");
        assertThat(property(reports.get("switch"), "Alexa.PowerController", "powerState").asString()).isEqualTo("OFF");
        assertThat(names(reports.get("dimmer"))).containsExactly("powerState", "brightness", "connectivity");
        assertThat(property(reports.get("dimmer"), "Alexa.BrightnessController", "brightness").asInt()).isEqualTo(40);
        assertThat(property(reports.get("contact_sensor"), "Alexa.ContactSensor", "detectionState").asString())
                .isEqualTo("DETECTED");
        assertThat(property(reports.get("motion_sensor"), "Alexa.MotionSensor", "detectionState").asString())
                .isEqualTo("NOT_DETECTED");
        JsonNode temperature = property(reports.get("temperature_sensor"), "Alexa.TemperatureSensor", "temperature");
        assertThat(temperature.path("value").asDouble()).isEqualTo(21.5);
        assertThat(temperature.path("scale").asString()).isEqualTo("CELSIUS");
        assertThat(names(reports.get("doorbell"))).containsExactly("connectivity");
    }

    // --- Errors (§6; §10 checks 14, 15) ---------------------------------------------------------------------

    @Test
    void anotherUsersEndpointIsNoSuchEndpointInEveryDirectiveAndChangesNothing() {
        Fixtures.TestUser other = new Fixtures(dataSource, hasher).owner();
        Api otherApi = new Api(port).bearer(other.apiKey());
        JsonNode theirs = create(otherApi, "their dimmer", "dimmer");
        String endpointId = theirs.path("alexaEndpointId").asString();

        List<Map<String, Object>> directives = List.of(
                control("Alexa", "ReportState", endpointId, token, Map.of()),
                control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of()),
                control("Alexa.PowerController", "TurnOff", endpointId, token, Map.of()),
                control("Alexa.BrightnessController", "SetBrightness", endpointId, token, Map.of("brightness", 7)),
                control("Alexa.BrightnessController", "AdjustBrightness", endpointId, token,
                        Map.of("brightnessDelta", -7)));
        for (Map<String, Object> directive : directives) {
            assertError(send(directive), "NO_SUCH_ENDPOINT", endpointId);
        }
        JsonNode after = otherApi.get("/api/v1/devices/" + theirs.path("id").asString()).json();
        assertThat(after.path("version").asLong()).isEqualTo(theirs.path("version").asLong());
        assertThat(after.path("properties")).isEqualTo(theirs.path("properties"));
        assertThat(otherApi.get("/api/v1/activity?deviceId=" + theirs.path("id").asString() + "&action=alexa_command")
                .json().path("items").size()).isZero();
        // and it is not in this user's discovery
        assertThat(endpoint(send(discover(token)), endpointId)).isNull();
    }

    @Test
    void unknownEndpointsAndDirectivesAndMalformedInputAreErrorsNeverA5xx() {
        assertError(send(control("Alexa", "ReportState", "vd_" + UUID.randomUUID().toString().replace("-", ""),
                token, Map.of())), "NO_SUCH_ENDPOINT", null);
        assertError(send(control("Alexa", "ReportState", "light.kitchen", token, Map.of())), "NO_SUCH_ENDPOINT",
                null);
        String sensor = devices.get("contact_sensor").path("alexaEndpointId").asString();
        assertError(send(control("Alexa.PowerController", "TurnOn", sensor, token, Map.of())), "INVALID_DIRECTIVE",
                sensor);
        String bell = devices.get("doorbell").path("alexaEndpointId").asString();
        assertError(send(control("Alexa.PowerController", "TurnOff", bell, token, Map.of())), "INVALID_DIRECTIVE",
                bell);
        String light = devices.get("switch").path("alexaEndpointId").asString();
        assertError(send(control("Alexa.BrightnessController", "SetBrightness", light, token,
                Map.of("brightness", 10))), "INVALID_DIRECTIVE", light);
        assertError(send(control("Alexa.ThermostatController", "SetTargetTemperature", light, token, Map.of())),
                "INVALID_DIRECTIVE", light);
        assertError(send(control("Alexa.PowerController", "Explode", light, token, Map.of())), "INVALID_DIRECTIVE",
                light);
        Map<String, Object> noEndpoint = control("Alexa", "ReportState", light, token, Map.of());
        directive(noEndpoint).remove("endpoint");
        ((Map<String, Object>) directive(noEndpoint).get("payload")).put("scope",
                Map.of("type", "BearerToken", "token", token));
        assertError(send(noEndpoint), "INVALID_DIRECTIVE", null);
        Map<String, Object> version2 = control("Alexa", "ReportState", light, token, Map.of());
        header(version2).put("payloadVersion", "2");
        assertError(send(version2), "INVALID_DIRECTIVE", light);

        for (String body : List.of("{", "not json", "[]", "{}", "{\"directive\":[]}", "{\"directive\":{}}",
                "null", "")) {
            assertError(send(body), "INVALID_DIRECTIVE", null);
        }
    }

    @Test
    void aDeviceMarkedOfflineIsUnreachable() {
        JsonNode device = devices.get("switch");
        String endpointId = device.path("alexaEndpointId").asString();
        Api.Response marked = owner.patch("/api/v1/devices/" + device.path("id").asString(), Map.of("online", false));
        assertThat(marked.status()).as(marked.toString()).isEqualTo(200);
        long version = marked.json().path("version").asLong();

        assertError(send(control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of())),
                "ENDPOINT_UNREACHABLE", endpointId);
        assertError(send(control("Alexa.PowerController", "TurnOff", endpointId, token, Map.of())),
                "ENDPOINT_UNREACHABLE", endpointId);
        JsonNode report = send(control("Alexa", "ReportState", endpointId, token, Map.of()));
        assertResponse(report, "StateReport", endpointId);
        assertThat(property(report, "Alexa.EndpointHealth", "connectivity").path("value").asString())
                .isEqualTo("UNREACHABLE");
        assertThat(property(report, "Alexa.PowerController", "powerState").asString()).isEqualTo("OFF");
        assertThat(owner.get("/api/v1/devices/" + device.path("id").asString()).json().path("version").asLong())
                .isEqualTo(version);
        // still discovered: offline is a state, not an absence
        assertThat(endpoint(send(discover(token)), endpointId)).isNotNull();

        JsonNode online = owner.patch("/api/v1/devices/" + device.path("id").asString(), Map.of("online", true)).json();
        assertThat(online.path("online").asBoolean()).isTrue();
        JsonNode on = send(control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of()));
        assertResponse(on, "Response", endpointId);
        assertThat(property(on, "Alexa.EndpointHealth", "connectivity").path("value").asString()).isEqualTo("OK");
        assertThat(property(on, "Alexa.PowerController", "powerState").asString()).isEqualTo("ON");
    }

    @Test
    void everyControlDirectiveToAnOfflineDimmerIsUnreachableAndAnOfflineSensorReportsUnreachable() {
        String dimmer = devices.get("dimmer").path("alexaEndpointId").asString();
        owner.patch("/api/v1/devices/" + devices.get("dimmer").path("id").asString(), Map.of("online", false));
        assertError(set(dimmer, 40), "ENDPOINT_UNREACHABLE", dimmer);
        assertError(adjust(dimmer, 10), "ENDPOINT_UNREACHABLE", dimmer);
        assertError(power(dimmer, "TurnOn"), "ENDPOINT_UNREACHABLE", dimmer);
        // validation comes first: a malformed directive is still INVALID_DIRECTIVE / VALUE_OUT_OF_RANGE
        assertError(set(dimmer, 150), "VALUE_OUT_OF_RANGE", dimmer);
        JsonNode stored = owner.get("/api/v1/devices/" + devices.get("dimmer").path("id").asString()).json();
        assertThat(stored.path("version").asLong()).isEqualTo(2);
        assertThat(stored.path("properties").path("brightness").path("value").asInt()).isEqualTo(100);

        for (String type : List.of("contact_sensor", "motion_sensor", "temperature_sensor")) {
            JsonNode sensor = devices.get(type);
            String endpointId = sensor.path("alexaEndpointId").asString();
            owner.patch("/api/v1/devices/" + sensor.path("id").asString(), Map.of("online", false));
            JsonNode report = send(control("Alexa", "ReportState", endpointId, token, Map.of()));
            assertResponse(report, "StateReport", endpointId);
            assertThat(property(report, "Alexa.EndpointHealth", "connectivity").path("value").asString())
                    .as(type).isEqualTo("UNREACHABLE");
            assertThat(names(report)).as(type).hasSize(2);
        }
    }

    @Test
    void aMomentarySensorReportsDetectedDuringItsPulse() {
        JsonNode sensor = devices.get("motion_sensor");
        String endpointId = sensor.path("alexaEndpointId").asString();
        owner.patch("/api/v1/devices/" + sensor.path("id").asString(), Map.of("momentary", true, "pulseSeconds", 3600));
        owner.post("/api/v1/devices/" + sensor.path("id").asString() + "/pulse", null);

        JsonNode report = send(control("Alexa", "ReportState", endpointId, token, Map.of()));

        assertThat(property(report, "Alexa.MotionSensor", "detectionState").asString()).isEqualTo("DETECTED");
        // a control directive to a sensor is still INVALID_DIRECTIVE
        assertError(send(control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of())),
                "INVALID_DIRECTIVE", endpointId);
    }

    // --- Credentials (§1, §6; §10 check 15) -----------------------------------------------------------------

    @Test
    void missingInvalidRevokedAndForeignTokensAreRefusedInAlexasShape() {
        String endpointId = devices.get("switch").path("alexaEndpointId").asString();
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("garbage", "not-a-token");
        refused.put("unknown alexa-shaped", "vda_" + UUID.randomUUID());
        refused.put("api key", user.apiKey());
        refused.put("web token", flow.link(WEB, "read write", user.email()).accessToken());
        refused.put("ifttt token", flow.link(IFTTT, "ifttt", user.email()).accessToken());
        String revoked = flow.link(ALEXA, "read write", user.email()).accessToken();
        assertThat(flow.revoke(ALEXA, revoked).status()).isEqualTo(200);
        refused.put("revoked", revoked);

        refused.forEach((kind, secret) -> {
            assertError(send(control("Alexa.PowerController", "TurnOn", endpointId, secret, Map.of())),
                    "INVALID_AUTHORIZATION_CREDENTIAL", endpointId);
            assertError(send(discover(secret)), "INVALID_AUTHORIZATION_CREDENTIAL", null);
            // as the Authorization header, with none in the directive
            Api.Response header = new Api(port).bearer(secret).post("/alexa/v3/directives", discover(null));
            assertThat(header.status()).as(kind).isEqualTo(200);
            assertError(header.json(), "INVALID_AUTHORIZATION_CREDENTIAL", null);
        });
        assertError(send(discover(null)), "INVALID_AUTHORIZATION_CREDENTIAL", null);
        // a different token in the header than in the directive
        Api.Response mixed = new Api(port).bearer(refused.get("web token")).post("/alexa/v3/directives",
                discover(token));
        assertError(mixed.json(), "INVALID_AUTHORIZATION_CREDENTIAL", null);
        assertThat(owner.get("/api/v1/devices/" + devices.get("switch").path("id").asString()).json()
                .path("properties").path("power").path("value").asBoolean()).isFalse();
    }

    @Test
    void anExpiredTokenIsExpiredAuthorizationCredential() {
        String endpointId = devices.get("switch").path("alexaEndpointId").asString();
        TestDatabase.of(context).superuser().sql("""
                        update oauth_tokens set access_token_expires_at = now() - interval '1 second'
                         where access_token_hash = sha256(convert_to(:t, 'UTF8'))
                        """).param("t", token).update();

        assertError(send(control("Alexa.PowerController", "TurnOn", endpointId, token, Map.of())),
                "EXPIRED_AUTHORIZATION_CREDENTIAL", endpointId);
        assertError(send(discover(token)), "EXPIRED_AUTHORIZATION_CREDENTIAL", null);
    }

    @Test
    void aReadOnlyTokenReadsButDoesNotControl() {
        String readOnly = flow.link(ALEXA, "read", user.email()).accessToken();
        String endpointId = devices.get("switch").path("alexaEndpointId").asString();

        assertThat(send(discover(readOnly)).path("event").path("payload").path("endpoints").size()).isEqualTo(6);
        assertResponse(send(control("Alexa", "ReportState", endpointId, readOnly, Map.of())), "StateReport",
                endpointId);
        assertError(send(control("Alexa.PowerController", "TurnOn", endpointId, readOnly, Map.of())),
                "INSUFFICIENT_PERMISSIONS", endpointId);
    }

    // ------------------------------------------------------------------------------------------------------

    private JsonNode create(Api api, String name, String type) {
        Api.Response response = api.post("/api/v1/devices", Map.of("name", name, "type", type));
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        return response.json();
    }

    private void setProperties(String type, Map<String, Object> values) {
        Api.Response response = owner.put("/api/v1/devices/" + devices.get(type).path("id").asString()
                + "/properties", values);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    static Map<String, Object> discover(String token) {
        Map<String, Object> payload = new LinkedHashMap<>();
        if (token != null) {
            payload.put("scope", Map.of("type", "BearerToken", "token", token));
        }
        Map<String, Object> header = new LinkedHashMap<>(Map.of("namespace", "Alexa.Discovery", "name", "Discover",
                "payloadVersion", "3", "messageId", UUID.randomUUID().toString()));
        Map<String, Object> directive = new LinkedHashMap<>();
        directive.put("header", header);
        directive.put("payload", payload);
        return new LinkedHashMap<>(Map.of("directive", directive));
    }

    static Map<String, Object> control(String namespace, String name, String endpointId, String token,
            Map<String, Object> payload) {
        Map<String, Object> header = new LinkedHashMap<>(Map.of("namespace", namespace, "name", name,
                "payloadVersion", "3", "messageId", UUID.randomUUID().toString(),
                "correlationToken", "dFMb0z+PgpgdDmluhJ1LddFvSqZ/jCc8ptlAKulUj90jSqg==" + UUID.randomUUID()));
        Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("scope", Map.of("type", "BearerToken", "token", token));
        endpoint.put("endpointId", endpointId);
        endpoint.put("cookie", Map.of("room", "kitchen"));
        Map<String, Object> directive = new LinkedHashMap<>();
        directive.put("header", header);
        directive.put("endpoint", endpoint);
        directive.put("payload", new LinkedHashMap<>(payload));
        return new LinkedHashMap<>(Map.of("directive", directive));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> directive(Map<String, Object> message) {
        return (Map<String, Object>) message.get("directive");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> header(Map<String, Object> message) {
        return (Map<String, Object>) directive(message).get("header");
    }

    /** Sends without any Authorization header (the token is in the directive), expects 200 and a valid message. */
    private JsonNode send(Object directive) {
        Api.Response response = new Api(port).post("/alexa/v3/directives", directive);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.header("Content-Type")).startsWith("application/json");
        JsonNode json = AlexaSchema.valid(response.json());
        if (directive instanceof Map<?, ?> map && map.get("directive") instanceof Map<?, ?> d
                && d.get("header") instanceof Map<?, ?> h && h.get("correlationToken") != null) {
            // §10 check 5: the correlation token is echoed
            assertThat(json.path("event").path("header").path("correlationToken").asString())
                    .isEqualTo(h.get("correlationToken"));
        }
        return json;
    }

    private JsonNode set(String endpointId, int brightness) {
        return send(control("Alexa.BrightnessController", "SetBrightness", endpointId, token,
                Map.of("brightness", brightness)));
    }

    private JsonNode adjust(String endpointId, int delta) {
        return send(control("Alexa.BrightnessController", "AdjustBrightness", endpointId, token,
                Map.of("brightnessDelta", delta)));
    }

    private JsonNode power(String endpointId, String name) {
        return send(control("Alexa.PowerController", name, endpointId, token, Map.of()));
    }

    private static void assertDimmer(JsonNode response, int brightness, String power) {
        assertThat(response.path("event").path("header").path("name").asString()).as(response.toString())
                .isEqualTo("Response");
        assertThat(property(response, "Alexa.BrightnessController", "brightness").asInt()).isEqualTo(brightness);
        assertThat(property(response, "Alexa.PowerController", "powerState").asString()).isEqualTo(power);
    }

    private static void assertResponse(JsonNode response, String name, String endpointId) {
        JsonNode event = response.path("event");
        assertThat(event.path("header").path("namespace").asString()).isEqualTo("Alexa");
        assertThat(event.path("header").path("name").asString()).as(response.toString()).isEqualTo(name);
        assertThat(event.path("endpoint").path("endpointId").asString()).isEqualTo(endpointId);
        assertThat(event.path("endpoint").path("scope").path("type").asString()).isEqualTo("BearerToken");
        assertThat(event.path("endpoint").path("cookie").path("room").asString()).isEqualTo("kitchen");
    }

    private static void assertError(JsonNode response, String type, String endpointId) {
        AlexaSchema.valid(response);
        JsonNode event = response.path("event");
        assertThat(event.path("header").path("namespace").asString()).isEqualTo("Alexa");
        assertThat(event.path("header").path("name").asString()).as(response.toString()).isEqualTo("ErrorResponse");
        assertThat(event.path("payload").path("type").asString()).as(response.toString()).isEqualTo(type);
        assertThat(event.path("payload").path("message").asString()).isNotBlank();
        if (endpointId != null) {
            assertThat(event.path("endpoint").path("endpointId").asString()).isEqualTo(endpointId);
        }
    }

    private static JsonNode property(JsonNode response, String namespace, String name) {
        for (JsonNode p : response.path("context").path("properties")) {
            if (p.path("namespace").asString().equals(namespace) && p.path("name").asString().equals(name)) {
                return p.path("value");
            }
        }
        throw new AssertionError("no " + namespace + "." + name + " in " + response);
    }

    private static List<String> names(JsonNode response) {
        List<String> names = new ArrayList<>();
        response.path("context").path("properties").forEach(p -> names.add(p.path("name").asString()));
        return names;
    }

    private static JsonNode endpoint(JsonNode discovery, String endpointId) {
        for (JsonNode e : discovery.path("event").path("payload").path("endpoints")) {
            if (e.path("endpointId").asString().equals(endpointId)) {
                return e;
            }
        }
        return null;
    }

    private static Map<String, JsonNode> interfaces(JsonNode endpoint) {
        Map<String, JsonNode> interfaces = new LinkedHashMap<>();
        endpoint.path("capabilities").forEach(c -> interfaces.put(c.path("interface").asString(), c));
        return interfaces;
    }
}
