package io.virtdevice.alexa;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The formats Amazon's schema insists on (shared/spec/alexa.md §2, §3), where the HTTP tests cannot steer. */
class AlexaFormatTests {

    @Test
    void timeOfSampleHasExactlyMillisecondsWhateverThePrecisionOfTheInstant() {
        Instant now = Instant.parse("2026-12-03T13:00:00Z");
        // PostgreSQL's microseconds and Instant.toString()'s 0/3/6/9 digits both fail the schema
        assertThat(AlexaTime.timeOfSample(Instant.parse("2026-12-03T12:00:01.123456Z"), now))
                .isEqualTo("2026-12-03T12:00:01.123Z");
        assertThat(AlexaTime.timeOfSample(Instant.parse("2026-12-03T12:00:01Z"), now))
                .isEqualTo("2026-12-03T12:00:01.000Z");
        assertThat(AlexaTime.timeOfSample(Instant.parse("2026-12-03T12:00:01.999999999Z"), now))
                .isEqualTo("2026-12-03T12:00:01.999Z");
        // never after now, never missing
        assertThat(AlexaTime.timeOfSample(Instant.parse("2026-12-03T13:00:05Z"), now))
                .isEqualTo("2026-12-03T13:00:00.000Z");
        assertThat(AlexaTime.timeOfSample(null, now)).isEqualTo("2026-12-03T13:00:00.000Z");
    }

    @Test
    void namesLoseHomeAssistantsStrippedCharactersAndStayWithin128Characters() {
        assertThat(AlexaEndpoints.sanitised("  Desk {lamp}\t<2>  \"x\"  ", "fallback")).isEqualTo("Desk lamp 2 x");
        assertThat(AlexaEndpoints.sanitised("(*)", "Virtual switch")).isEqualTo("Virtual switch");
        assertThat(AlexaEndpoints.sanitised(null, "Virtual switch")).isEqualTo("Virtual switch");
        String emoji = "\uD83D\uDCA1".repeat(100);
        String cut = AlexaEndpoints.sanitised(emoji, "x");
        assertThat(cut.length()).isLessThanOrEqualTo(128);
        assertThat(cut).isEqualTo("\uD83D\uDCA1".repeat(64));
        assertThat(AlexaEndpoints.sanitised("a".repeat(200), "x")).hasSize(128);
    }

    @Test
    void theSchemaCheckRejectsWhatAmazonRejects() {
        JsonMapper json = JsonMapper.builder().build();
        String ok = """
                {"event":{"header":{"namespace":"Alexa","name":"StateReport","payloadVersion":"3","messageId":"m-1",
                 "correlationToken":"c"},"endpoint":{"scope":{"type":"BearerToken","token":"t"},"endpointId":"vd_1"},
                 "payload":{}},"context":{"properties":[{"namespace":"Alexa.ContactSensor","name":"detectionState",
                 "value":"DETECTED","timeOfSample":"2026-12-03T12:00:01.123Z","uncertaintyInMilliseconds":0}]}}
                """;
        assertThat(AlexaSchema.errors(json.readTree(ok))).isEmpty();
        assertThat(AlexaSchema.errors(json.readTree(ok.replace(".123Z", ".123456Z")))).isNotEmpty();
        assertThat(AlexaSchema.errors(json.readTree(ok.replace("\"DETECTED\"", "\"OPEN\"")))).isNotEmpty();
        assertThat(AlexaSchema.errors(json.readTree(ok.replace("\"3\"", "3")))).isNotEmpty();
        assertThat(AlexaSchema.errors(json.readTree(ok.replace("vd_1", "vd.1")))).isNotEmpty();
        assertThat(AlexaSchema.errors(json.readTree(ok.replace("m-1", "m_1")))).isNotEmpty();
    }
}
