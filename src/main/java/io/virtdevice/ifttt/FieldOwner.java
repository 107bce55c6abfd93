package io.virtdevice.ifttt;

import java.util.List;
import java.util.Optional;

/** A trigger or action: its slug on the IFTTT platform and its fields. */
interface FieldOwner {

    String slug();

    List<Field> fields();

    default Optional<Field> field(String name) {
        return fields().stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** The constant of {@code type} with this slug. */
    static <T extends Enum<T> & FieldOwner> Optional<T> of(Class<T> type, String slug) {
        return java.util.Arrays.stream(type.getEnumConstants()).filter(t -> t.slug().equals(slug)).findFirst();
    }
}
