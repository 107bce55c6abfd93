package io.virtdevice.dashboard;

import io.virtdevice.devices.DeviceType;
import io.virtdevice.events.DeviceEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * A device's recent state changes (from {@code device_events}) as an SVG step chart, drawn on the server: no
 * script, no third-party library, nothing inline that the Content-Security-Policy forbids (presentation
 * attributes and classes only).
 *
 * @param svg the markup, or null when there is nothing to draw
 * @param summary what the chart shows, in words (its accessible description)
 */
public record StateChart(String svg, String summary) {

    private static final int WIDTH = 640;
    private static final int HEIGHT = 200;
    private static final int LEFT = 48;
    private static final int RIGHT = 12;
    private static final int TOP = 12;
    private static final int BOTTOM = 28;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("MMM d HH:mm", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private record Point(Instant at, double value) {}

    /** @param newestFirst the device's recent events, newest first */
    static StateChart of(DeviceType type, List<DeviceEvent> newestFirst) {
        List<Point> points = new ArrayList<>();
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            DeviceEvent event = newestFirst.get(i);
            if ("device.deleted".equals(event.type())) {
                continue;
            }
            Double value = value(type, event);
            if (value != null) {
                points.add(new Point(event.occurredAt(), value));
            }
        }
        String what = switch (type) {
            case SWITCH -> "power (1 = on)";
            case DIMMER -> "brightness while on, in percent (0 = off)";
            case CONTACT_SENSOR -> "contact (1 = open)";
            case MOTION_SENSOR -> "motion (1 = detected)";
            case TEMPERATURE_SENSOR -> "temperature";
            case DOORBELL -> "doorbell presses";
        };
        if (points.isEmpty()) {
            return new StateChart(null, "No changes recorded yet.");
        }
        String summary = points.size() + " recorded states of " + what + " from " + TIME.format(points.getFirst().at())
                + " to " + TIME.format(points.getLast().at()) + " UTC.";
        return new StateChart(draw(points, type == DeviceType.DOORBELL, summary), summary);
    }

    private static Double value(DeviceType type, DeviceEvent event) {
        JsonNode s = event.snapshot();
        if (s == null) {
            return null;
        }
        return switch (type) {
            case SWITCH -> s.path("power").asBoolean(false) ? 1.0 : 0.0;
            case DIMMER -> s.path("power").asBoolean(false) ? s.path("brightness").asDouble(0) : 0.0;
            case CONTACT_SENSOR -> "open".equals(s.path("contact").asString("")) ? 1.0 : 0.0;
            case MOTION_SENSOR -> "detected".equals(s.path("motion").asString("")) ? 1.0 : 0.0;
            case TEMPERATURE_SENSOR -> s.path("temperature").isNumber() ? s.path("temperature").asDouble() : null;
            case DOORBELL -> "doorbell.pressed".equals(event.type()) ? 1.0 : null;
        };
    }

    private static String draw(List<Point> points, boolean dotsOnly, String summary) {
        Instant first = points.getFirst().at();
        Instant last = points.getLast().at();
        Instant end = last.plusSeconds(Math.max(60, Duration.between(first, last).toSeconds() / 20));
        double span = Math.max(1, Duration.between(first, end).toMillis());
        double min = points.stream().mapToDouble(Point::value).min().orElse(0);
        double max = points.stream().mapToDouble(Point::value).max().orElse(1);
        if (min > 0 && max <= 100) {
            min = 0;
        }
        if (max - min < 1e-9) {
            max = min + 1;
        }
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double lo = min;
        double range = max - min;
        StringBuilder svg = new StringBuilder();
        svg.append("<svg viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"").append(summary).append("\">");
        // axes and labels
        svg.append(line(LEFT, TOP, LEFT, TOP + plotH)).append(line(LEFT, TOP + plotH, WIDTH - RIGHT, TOP + plotH));
        svg.append(text(LEFT - 6, TOP + 10, "end", number(max)));
        svg.append(text(LEFT - 6, TOP + plotH, "end", number(min)));
        svg.append(text(LEFT, HEIGHT - 8, "start", TIME.format(first)));
        svg.append(text(WIDTH - RIGHT, HEIGHT - 8, "end", TIME.format(last)));
        StringBuilder path = new StringBuilder();
        double previousY = 0;
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            double x = LEFT + plotW * Duration.between(first, p.at()).toMillis() / span;
            double y = TOP + plotH - plotH * (p.value() - lo) / range;
            if (dotsOnly) {
                svg.append(String.format(Locale.ROOT, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"/>", x,
                        TOP + plotH / 2));
                continue;
            }
            path.append(i == 0 ? String.format(Locale.ROOT, "M%.1f %.1f", x, y)
                    : String.format(Locale.ROOT, " H%.1f V%.1f", x, y));
            svg.append(String.format(Locale.ROOT, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", x, y));
            previousY = y;
        }
        if (!dotsOnly) {
            path.append(String.format(Locale.ROOT, " H%.1f V%.1f", (double) WIDTH - RIGHT, previousY));
            svg.append("<path class=\"line\" d=\"").append(path).append("\"/>");
        }
        return svg.append("</svg>").toString();
    }

    private static String line(double x1, double y1, double x2, double y2) {
        return String.format(Locale.ROOT, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x1, y1,
                x2, y2);
    }

    private static String text(double x, double y, String anchor, String label) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>", x, y, anchor,
                label);
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }
}
