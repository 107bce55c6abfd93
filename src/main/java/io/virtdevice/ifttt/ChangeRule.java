package io.virtdevice.ifttt;

import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Which entries of a change event's {@code changes} array ({@code [{"property":..,"old":..,"new":..}]}) a
 * trigger fires on, written once and used twice: as a SQL/JSON path for the trigger poll (the database
 * filters the device's history) and as a Java test for the realtime matching of new events. The property
 * names and operand travel as path variables, never spliced into the path.
 *
 * @param properties the properties the change must be of (empty: any property)
 * @param operand the value compared with (null for {@link Condition#ANY})
 */
record ChangeRule(List<String> properties, Condition condition, JsonNode operand) {

    enum Condition {
        /** Any change of those properties. */
        ANY,
        /** The new value equals the operand. */
        EQUALS,
        /** The value crossed the operand upwards: old ≤ operand < new. */
        RISES_ABOVE,
        /** The value crossed the operand downwards: old ≥ operand > new. */
        FALLS_BELOW
    }

    ChangeRule {
        properties = List.copyOf(properties);
    }

    static ChangeRule any(List<String> properties) {
        return new ChangeRule(properties, Condition.ANY, null);
    }

    /** The SQL/JSON path over the {@code changes} array; its variables are {@link #pathVariables()}. */
    String path() {
        StringBuilder filter = new StringBuilder();
        if (!properties.isEmpty()) {
            filter.append('(');
            for (int i = 0; i < properties.size(); i++) {
                filter.append(i == 0 ? "" : " || ").append("@.property == $p").append(i);
            }
            filter.append(')');
        }
        String test = switch (condition) {
            case ANY -> null;
            case EQUALS -> "@.new == $v";
            case RISES_ABOVE -> "@.new > $v && @.old <= $v";
            case FALLS_BELOW -> "@.new < $v && @.old >= $v";
        };
        if (test != null) {
            filter.append(filter.isEmpty() ? "" : " && ").append(test);
        }
        return filter.isEmpty() ? "$[*]" : "$[*] ? (" + filter + ")";
    }

    String pathVariables() {
        ObjectNode vars = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < properties.size(); i++) {
            vars.put("p" + i, properties.get(i));
        }
        if (operand != null) {
            vars.set("v", operand);
        }
        return vars.toString();
    }

    /** The first entry of {@code changes} the rule fires on. */
    Optional<JsonNode> firstMatch(JsonNode changes) {
        for (JsonNode change : changes) {
            if (matches(change)) {
                return Optional.of(change);
            }
        }
        return Optional.empty();
    }

    private boolean matches(JsonNode change) {
        if (!properties.isEmpty() && !properties.contains(change.path("property").asString(""))) {
            return false;
        }
        JsonNode now = change.path("new");
        JsonNode before = change.path("old");
        return switch (condition) {
            case ANY -> true;
            case EQUALS -> sameValue(now, operand);
            case RISES_ABOVE -> now.isNumber() && before.isNumber()
                    && now.decimalValue().compareTo(operand.decimalValue()) > 0
                    && before.decimalValue().compareTo(operand.decimalValue()) <= 0;
            case FALLS_BELOW -> now.isNumber() && before.isNumber()
                    && now.decimalValue().compareTo(operand.decimalValue()) < 0
                    && before.decimalValue().compareTo(operand.decimalValue()) >= 0;
        };
    }

    private static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }
}
