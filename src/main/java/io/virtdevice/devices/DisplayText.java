package io.virtdevice.devices;

import io.virtdevice.platform.web.ApiProblem;
import java.text.Normalizer;

/**
 * Names and descriptions people type: trimmed, bounded in characters (as the varchar columns count them),
 * and free of control and invisible formatting characters (NUL cannot be stored at all, bidi overrides
 * and zero-width characters make look-alike names).
 */
final class DisplayText {

    private DisplayText() {}

    static String required(String field, String value, int maxChars) {
        String text = optional(field, value, maxChars);
        if (text == null) {
            throw ApiProblem.invalidField(field, "must not be blank.");
        }
        return text;
    }

    /** The trimmed text, or null when it is null or blank. */
    static String optional(String field, String value, int maxChars) {
        if (value == null) {
            return null;
        }
        String text = value.strip();
        if (text.isEmpty()) {
            return null;
        }
        // one spelling per name: "Cafe" + U+0301 (decomposed) is stored as "Caf" + U+00E9, so uniqueness and
        // look-ups (Alexa, IFTTT) compare what people see
        if (!Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
            text = Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        if (text.codePointCount(0, text.length()) > maxChars) {
            throw ApiProblem.invalidField(field, "must be at most " + maxChars + " characters.");
        }
        boolean invisible = text.codePoints().anyMatch(cp -> switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.PRIVATE_USE -> true;
            default -> false;
        });
        if (invisible) {
            throw ApiProblem.invalidField(field, "must not contain control or invisible formatting characters.");
        }
        return text;
    }
}
