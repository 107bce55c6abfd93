package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.JsonNodeFactory;

/** The pure parts of a poll and of the dashboard's IFTTT page: the user's time zone, triggers in words. */
class IftttWordingTests {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @Test
    void takesIanaNamesAndOffsetsAndKeepsUtcForAnythingElse() {
        assertThat(IftttTriggers.zone(JSON.stringNode("Europe/Paris"))).isEqualTo(ZoneId.of("Europe/Paris"));
        assertThat(IftttTriggers.zone(JSON.stringNode("+02:00"))).isEqualTo(ZoneOffset.ofHours(2));
        assertThat(IftttTriggers.zone(JSON.stringNode("UTC+1"))).isEqualTo(ZoneId.of("UTC+1"));
        assertThat(IftttTriggers.zone(JSON.stringNode("Pacific Time (US & Canada)"))).isEqualTo(ZoneOffset.UTC);
        assertThat(IftttTriggers.zone(JSON.stringNode("+99:99"))).isEqualTo(ZoneOffset.UTC);
        assertThat(IftttTriggers.zone(JSON.stringNode("Mars/Olympus"))).isEqualTo(ZoneOffset.UTC);
        assertThat(IftttTriggers.zone(JSON.numberNode(2))).isEqualTo(ZoneOffset.UTC);
        assertThat(IftttTriggers.zone(null)).isEqualTo(ZoneOffset.UTC);
    }

    @Test
    void describesEachTriggerWithTheDevicesName() {
        assertThat(IftttTrigger.DEVICE_TURNED_ON.describe("Lamp", Map.of())).isEqualTo("Lamp turns on");
        assertThat(IftttTrigger.DEVICE_TURNED_OFF.describe("Lamp", Map.of())).isEqualTo("Lamp turns off");
        assertThat(IftttTrigger.PROPERTY_CHANGED.describe("Lamp", Map.of())).isEqualTo("any property of Lamp changes");
        assertThat(IftttTrigger.PROPERTY_CHANGED.describe("Lamp", Map.of("property", "brightness")))
                .isEqualTo("Lamp’s brightness changes");
        assertThat(IftttTrigger.SENSOR_STATE_CHANGED.describe("Door", Map.of("state", "open"))).isEqualTo("Door opens");
        assertThat(IftttTrigger.SENSOR_STATE_CHANGED.describe("Door", Map.of("state", "closed"))).isEqualTo("Door closes");
        assertThat(IftttTrigger.SENSOR_STATE_CHANGED.describe("Hall", Map.of("state", "not_detected")))
                .isEqualTo("Hall stops detecting motion");
        assertThat(IftttTrigger.SENSOR_STATE_CHANGED.describe("Hall", Map.of())).isEqualTo("Hall changes state");
        assertThat(IftttTrigger.DOORBELL_PRESSED.describe("Bell", Map.of())).isEqualTo("Bell is pressed");
        assertThat(IftttTrigger.TEMPERATURE_ABOVE.describe("Attic", Map.of("threshold", "25.5")))
                .isEqualTo("Attic rises above 25.5°");
        assertThat(IftttTrigger.TEMPERATURE_BELOW.describe("Attic", Map.of("threshold", "-3")))
                .isEqualTo("Attic falls below -3°");
    }
}
