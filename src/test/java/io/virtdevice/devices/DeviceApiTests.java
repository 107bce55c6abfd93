package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class DeviceApiTests extends DeviceTests {

    @ParameterizedTest
    @CsvSource({
        "switch, power, false, boolean, SWITCH",
        "dimmer, brightness, 100, integer, LIGHT",
        "contact_sensor, contact, closed, string, CONTACT_SENSOR",
        "motion_sensor, motion, not_detected, string, MOTION_SENSOR",
        "temperature_sensor, temperature, 20.0, float, TEMPERATURE_SENSOR",
        "doorbell, press, , event, DOORBELL"
    })
    void createsReadsRenamesAndDeletesEveryDeviceType(String type, String property, String initial, String dataType,
            String category) {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);

        Api.Response created = api.post("/api/v1/devices",
                Map.of("name", "My " + type, "type", type, "description", "for tests"));
        assertThat(created.status()).isEqualTo(201);
        JsonNode device = created.json();
        String id = device.path("id").asString();
        assertThat(created.header("Location")).isEqualTo("/api/v1/devices/" + id);
        assertThat(created.header("ETag")).isEqualTo("\"1\"");
        assertThat(device.path("name").asString()).isEqualTo("My " + type);
        assertThat(device.path("friendlyName").asString()).isEqualTo("My " + type);
        assertThat(device.path("type").asString()).isEqualTo(type);
        assertThat(device.path("description").asString()).isEqualTo("for tests");
        assertThat(device.path("alexaEndpointId").asString()).matches("vd_[0-9a-f]{32}");
        assertThat(device.path("iftttDeviceId").asString()).startsWith("vd_");
        assertThat(device.path("online").asBoolean()).isTrue();
        assertThat(device.path("version").asLong()).isEqualTo(1);
        JsonNode prop = device.path("properties").path(property);
        assertThat(prop.path("dataType").asString()).isEqualTo(dataType);
        assertThat(prop.path("lastChangedBy").asString()).isEqualTo("api");
        assertThat(prop.has("lastChangedAt")).isTrue();
        if (initial == null) {
            assertThat(prop.path("value").isNull()).isTrue();
        } else {
            assertThat(prop.path("value").asString()).isEqualTo(initial);
        }
        String stored = sql().as(user, jdbc -> jdbc.sql("select alexa_display_categories[1] from devices where id = :id")
                .param("id", UUID.fromString(id)).query(String.class).single());
        assertThat(stored).isEqualTo(category);

        Api.Response read = api.get("/api/v1/devices/" + id);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.header("ETag")).isEqualTo("\"1\"");
        assertThat(read.json()).isEqualTo(device);

        Api.Response renamed = api.patch("/api/v1/devices/" + id, Map.of("name", "Renamed " + type,
                "friendlyName", "Kitchen " + type));
        assertThat(renamed.status()).isEqualTo(200);
        assertThat(renamed.json().path("name").asString()).isEqualTo("Renamed " + type);
        assertThat(renamed.json().path("friendlyName").asString()).isEqualTo("Kitchen " + type);
        assertThat(renamed.json().path("description").asString()).isEqualTo("for tests");
        assertThat(renamed.json().path("version").asLong()).isEqualTo(2);

        assertThat(api.delete("/api/v1/devices/" + id).status()).isEqualTo(204);
        assertThat(api.get("/api/v1/devices/" + id).status()).isEqualTo(404);
        assertThat(api.delete("/api/v1/devices/" + id).status()).isEqualTo(404);
    }

    @Test
    void returnsTypedValuesAndRulesForEveryProperty() {
        Api api = api(fixtures().owner(5));
        JsonNode dimmer = api.get("/api/v1/devices/" + create(api, "Dimmer", "dimmer")).json().path("properties");
        assertThat(dimmer.path("power").path("value").isBoolean()).isTrue();
        assertThat(dimmer.path("brightness").path("value").isIntegralNumber()).isTrue();
        assertThat(dimmer.path("brightness").path("min").asInt()).isZero();
        assertThat(dimmer.path("brightness").path("max").asInt()).isEqualTo(100);
        assertThat(dimmer.path("power").path("unit").isNull()).isTrue();
        assertThat(dimmer.path("power").path("allowedValues").isNull()).isTrue();

        JsonNode thermometer = api.get("/api/v1/devices/" + create(api, "Thermo", "temperature_sensor")).json()
                .path("properties");
        assertThat(thermometer.path("temperature").path("value").isFloatingPointNumber()).isTrue();
        assertThat(thermometer.path("temperature").path("value").asDouble()).isEqualTo(20.0);
        assertThat(thermometer.path("temperature").path("unit").asString()).isEqualTo("celsius");
        assertThat(thermometer.path("temperature").path("min").asDouble()).isEqualTo(-273.15);
        assertThat(thermometer.path("unit").path("allowedValues").toString())
                .isEqualTo("[\"celsius\",\"fahrenheit\",\"kelvin\"]");
    }

    @Test
    void temperatureReportsTheUnitPropertyAsItsUnit() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Outside", "temperature_sensor");
        JsonNode after = api.put("/api/v1/devices/" + id + "/properties", Map.of("unit", "fahrenheit", "temperature", 68.5))
                .json().path("properties");
        assertThat(after.path("temperature").path("unit").asString()).isEqualTo("fahrenheit");
        assertThat(after.path("temperature").path("value").asDouble()).isEqualTo(68.5);
    }

    @Test
    void listsDeviceTypesWithoutAuthentication() {
        Api.Response response = new Api(port).get("/api/v1/device-types");
        assertThat(response.status()).isEqualTo(200);
        JsonNode items = response.json().path("items");
        assertThat(items).hasSize(6);
        JsonNode dimmer = items.get(1);
        assertThat(dimmer.path("type").asString()).isEqualTo("dimmer");
        assertThat(dimmer.path("alexaDisplayCategory").asString()).isEqualTo("LIGHT");
        assertThat(dimmer.path("properties").get(1).path("alexaInterface").asString())
                .isEqualTo("Alexa.BrightnessController");
        assertThat(dimmer.path("properties").get(1).path("defaultValue").asInt()).isEqualTo(100);
        JsonNode doorbell = items.get(5);
        assertThat(doorbell.path("properties").get(0).path("alexaInterface").asString())
                .isEqualTo("Alexa.DoorbellEventSource");
    }

    @Test
    void refusesADuplicateNameIgnoringCase() {
        Api api = api(fixtures().owner());
        create(api, "Desk Lamp", "switch");
        Api.Response duplicate = api.post("/api/v1/devices", Map.of("name", "desk lamp", "type", "dimmer"));
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(duplicate.json().path("type").asString()).endsWith("/conflict");
        assertThat(duplicate.header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void refusesRenamingOntoAnotherDevicesName() {
        Api api = api(fixtures().owner());
        create(api, "One", "switch");
        UUID two = create(api, "Two", "switch");
        assertThat(api.patch("/api/v1/devices/" + two, Map.of("name", "ONE")).status()).isEqualTo(409);
        assertThat(api.patch("/api/v1/devices/" + two, Map.of("name", "two")).status()).isEqualTo(200);
    }

    @Test
    void patchClearsTheDescriptionOnlyWhenAskedTo() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        api.patch("/api/v1/devices/" + id, Map.of("description", "by the window"));
        assertThat(api.patch("/api/v1/devices/" + id, Map.of("name", "Lamp 2")).json().path("description").asString())
                .isEqualTo("by the window");
        Map<String, Object> clear = new HashMap<>();
        clear.put("description", null);
        Api.Response cleared = api.patch("/api/v1/devices/" + id, clear);
        assertThat(cleared.json().path("description").isNull()).isTrue();
        Map<String, Object> nullName = new HashMap<>();
        nullName.put("name", null);
        assertThat(api.patch("/api/v1/devices/" + id, nullName).status()).isEqualTo(400);
    }

    @Test
    void patchWithAStaleIfMatchIsAPreconditionFailure() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        Api.Response stale = api.send("PATCH", "/api/v1/devices/" + id, Map.of("name", "Other"),
                Map.of("If-Match", "\"7\""));
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().path("type").asString()).endsWith("/precondition-failed");
        assertThat(api.get("/api/v1/devices/" + id).json().path("name").asString()).isEqualTo("Lamp");

        Api.Response fresh = api.send("PATCH", "/api/v1/devices/" + id, Map.of("name", "Other"),
                Map.of("If-Match", "\"1\""));
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.header("ETag")).isEqualTo("\"2\"");
    }

    @Test
    void aPatchThatChangesNothingKeepsTheVersion() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        Api.Response same = api.patch("/api/v1/devices/" + id, Map.of("name", "Lamp", "friendlyName", "Lamp"));
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.json().path("version").asLong()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "version", "alexaEndpointId", "iftttDeviceId", "online", "properties", "createdAt",
        "userId", "tenantId"})
    void refusesServerOwnedFields(String field) {
        Api api = api(fixtures().owner());
        Map<String, Object> body = new HashMap<>(Map.of("name", "Lamp", "type", "switch"));
        body.put(field, field.equals("online") ? false : "x");
        Api.Response response = api.post("/api/v1/devices", body);
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("detail").asString()).contains(field);
        assertThat(api.get("/api/v1/devices").json().path("items")).isEmpty();

        UUID id = create(api, "Lamp", "switch");
        Map<String, Object> patch = new HashMap<>();
        patch.put(field, "x");
        assertThat(api.patch("/api/v1/devices/" + id, patch).status()).isEqualTo(400);
    }

    @Test
    void refusesBadNamesAndTypes() {
        Api api = api(fixtures().owner());
        assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "toaster")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("type", "switch")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "   ", "type", "switch")).status()).isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "x".repeat(101), "type", "switch")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "nul\u0000byte", "type", "switch")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "evil\u202Eexe", "type", "switch")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Lamp", "type", "switch", "description", "d".repeat(129)))
                .status()).isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", List.of("a"), "type", "switch")).status())
                .isEqualTo(400);
        assertThat(api.post("/api/v1/devices", Map.of("name", "Robert'); drop table devices;--", "type", "switch"))
                .status()).isEqualTo(201);
    }

    @Test
    void refusesMalformedRequestsWithProblems() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        List<Api.Response> responses = List.of(
                api.post("/api/v1/devices", "{\"name\": \"x\", "),
                api.post("/api/v1/devices", "[1, 2]"),
                api.post("/api/v1/devices", "null"),
                api.post("/api/v1/devices", ""),
                api.send("POST", "/api/v1/devices", "name=x&type=switch",
                        Map.of("Content-Type", "application/x-www-form-urlencoded")),
                api.send("POST", "/api/v1/devices", "{\"name\":\"x\",\"type\":\"switch\"}",
                        Map.of("Content-Type", "text/plain")),
                api.put("/api/v1/devices/" + id + "/properties", "{\"power\": tru}"),
                api.put("/api/v1/devices/" + id + "/properties", "\"power\""),
                api.get("/api/v1/devices/not-a-uuid"),
                api.put("/api/v1/devices/not-a-uuid/properties", Map.of("power", true)));
        for (Api.Response response : responses) {
            assertThat(response.status()).as(response.toString()).isBetween(400, 499);
            assertThat(response.header("Content-Type")).as(response.toString()).startsWith("application/problem+json");
        }
        assertThat(version(api, id)).isEqualTo(1);
    }

    @Test
    void refusesBodiesOverSixtyFourKibibytes() {
        Api api = api(fixtures().owner());
        UUID id = create(api, "Lamp", "switch");
        String huge = "{\"name\":\"" + "x".repeat(70_000) + "\",\"type\":\"switch\"}";
        Api.Response created = api.post("/api/v1/devices", huge);
        assertThat(created.status()).isEqualTo(413);
        // the body is left unread, so the connection closes; the answer says so, and the client's next request
        // goes on a new connection (it failed now and then on the closed one: CI of 2026-12-05)
        assertThat(created.header("Connection")).isEqualToIgnoringCase("close");
        Api.Response props = api.put("/api/v1/devices/" + id + "/properties",
                "{\"power\":true,\"pad\":\"" + "x".repeat(70_000) + "\"}");
        assertThat(props.status()).isEqualTo(413);
        assertThat(props.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(version(api, id)).isEqualTo(1);
    }

    @Test
    void refusesAChunkedBodyOverSixtyFourKibibytesAndClosesTheConnection() throws Exception {
        Fixtures.TestUser user = fixtures().owner();
        UUID id = create(api(user), "Lamp", "switch");
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("PUT /api/v1/devices/" + id + "/properties HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + user.apiKey() + "\r\nContent-Type: application/json\r\n"
                    + "Accept: application/problem+json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] chunk = ("{\"power\":true,\"pad\":\"" + "x".repeat(70_000) + "\"}")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(chunk);
            out.write("\r\n0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            // the whole answer up to the server's close: it must close, having said so
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(answer.lines().takeWhile(line -> !line.isEmpty()))
                    .anySatisfy(line -> assertThat(line).isEqualToIgnoringCase("Connection: close"));
            assertThat(answer).contains("\"status\":413");
        }
        assertThat(version(api(user), id)).isEqualTo(1);
    }

    @Test
    void needsCredentials() {
        Api anonymous = new Api(port);
        assertThat(anonymous.get("/api/v1/devices").status()).isEqualTo(401);
        assertThat(anonymous.bearer("vdk_not-a-real-key").get("/api/v1/devices").status()).isEqualTo(401);
    }
}
