package io.virtdevice.alexa;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Amazon's Smart Home message schema (shared/spec/alexa/alexa_smart_home_message_schema.json, draft-04, copied
 * byte for byte into the test resources), compiled once (shared/spec/alexa.md §13), plus the envelope checks of
 * §10 the schema does not make (3-6).
 */
public final class AlexaSchema {

    private static final Schema SCHEMA = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4)
            .getSchema(SchemaLocation.of("classpath:alexa/alexa_smart_home_message_schema.json"));
    private static final Pattern MESSAGE_ID = Pattern.compile("^[A-Za-z0-9-]{1,127}$");
    private static final Pattern TIME_OF_SAMPLE =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$");

    private static final Schema DELETE_REPORT = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4)
            .getSchema(SchemaLocation.of("classpath:alexa/delete_report_schema.json"));

    static {
        SCHEMA.initializeValidators();
        DELETE_REPORT.initializeValidators();
    }

    private AlexaSchema() {}

    /** The schema's errors for a message (empty: valid). */
    public static List<Error> errors(JsonNode message) {
        return SCHEMA.validate(message);
    }

    /**
     * The errors of a message against the schema it belongs to: a DeleteReport against our own
     * (src/test/resources/alexa/delete_report_schema.json), since Amazon's lacks it (§3, §10 check 2).
     */
    public static List<Error> eventErrors(JsonNode message) {
        JsonNode header = message.path("event").path("header");
        boolean delete = "Alexa.Discovery".equals(header.path("namespace").asString(""))
                && "DeleteReport".equals(header.path("name").asString(""));
        return delete ? DELETE_REPORT.validate(message) : SCHEMA.validate(message);
    }

    /** Asserts the message is valid and its envelope follows §2 / §10 (3, 4, 6). */
    public static JsonNode valid(JsonNode message) {
        List<Error> errors = errors(message);
        assertThat(errors).as("schema errors of %s: %s", message,
                errors.stream().limit(8).map(Error::toString).toList()).isEmpty();
        JsonNode header = message.path("event").path("header");
        assertThat(header.path("payloadVersion").isString()).as("payloadVersion is a string").isTrue();
        assertThat(header.path("payloadVersion").asString()).isEqualTo("3");
        assertThat(header.path("messageId").asString()).matches(MESSAGE_ID);
        Instant now = Instant.now().plusMillis(1);
        for (JsonNode property : message.path("context").path("properties")) {
            String sampled = property.path("timeOfSample").asString();
            assertThat(sampled).matches(TIME_OF_SAMPLE);
            assertThat(Instant.parse(sampled)).isBeforeOrEqualTo(now);
            assertThat(property.path("uncertaintyInMilliseconds").asDouble()).isGreaterThanOrEqualTo(0);
        }
        return message;
    }
}
