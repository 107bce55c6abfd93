package io.virtdevice.alexa;

/**
 * A directive Alexa gets an {@code Alexa.ErrorResponse} for (shared/spec/alexa.md §6). {@code message} is for
 * Amazon's logs only, never shown to the customer; it never carries user data.
 *
 * @param validRange for {@code VALUE_OUT_OF_RANGE}: the accepted minimum and maximum, else null
 */
class AlexaError extends RuntimeException {

    private final String type;
    private final long[] validRange;

    AlexaError(String type, String message) {
        this(type, message, null);
    }

    private AlexaError(String type, String message, long[] validRange) {
        super(message, null, false, false);
        this.type = type;
        this.validRange = validRange;
    }

    static AlexaError invalidDirective(String message) {
        return new AlexaError("INVALID_DIRECTIVE", message);
    }

    static AlexaError noSuchEndpoint() {
        return new AlexaError("NO_SUCH_ENDPOINT", "No endpoint with this id.");
    }

    static AlexaError outOfRange(String field, long min, long max) {
        return new AlexaError("VALUE_OUT_OF_RANGE", field + " must be between " + min + " and " + max + ".",
                new long[] {min, max});
    }

    String type() {
        return type;
    }

    long[] validRange() {
        return validRange;
    }
}
