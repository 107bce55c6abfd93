package io.virtdevice.dashboard;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityEntry;
import io.virtdevice.activity.ActivityFeed;
import io.virtdevice.activity.ActivityPage;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.HtmlPage;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.JsonNode;

/** The activity log through {@link ActivityFeed}: filters (device, action, source, days) and paging. */
@Controller
@HtmlPage
class ActivityPageController {

    static final List<String> SOURCES = List.of("web", "api", "alexa", "ifttt", "trigger", "system");
    private static final int PAGE_SIZE = 50;

    private final ActivityFeed feed;
    private final DeviceManagement devices;

    ActivityPageController(ActivityFeed feed, DeviceManagement devices) {
        this.feed = feed;
        this.devices = devices;
    }

    @ModelAttribute("section")
    String section() {
        return "activity";
    }

    @GetMapping("/activity")
    String activity(@RequestParam(required = false) UUID deviceId, @RequestParam(required = false) String action,
            @RequestParam(required = false) String source, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) String cursor, Model model) {
        ActivityAction chosenAction = blank(action) ? null : ActivityAction.fromCode(action)
                .orElseThrow(() -> ApiProblem.invalidField("action", "is not a known activity action."));
        if (!blank(source) && !SOURCES.contains(source)) {
            throw ApiProblem.invalidField("source", "is not a known source.");
        }
        Instant start = day("from", from, 0);
        Instant end = day("to", to, 1);
        ActivityPage page = feed.page(deviceId, chosenAction, blank(source) ? null : source, start, end, PAGE_SIZE,
                blank(cursor) ? null : cursor);
        List<Device> mine = devices.list(null, DevicePageController.PAGE_SIZE, null).items();
        Map<UUID, String> names = mine.stream().collect(Collectors.toMap(Device::id, Device::name, (a, b) -> a));
        model.addAttribute("page", page);
        model.addAttribute("summaries", page.items().stream()
                .collect(Collectors.toMap(ActivityEntry::id, e -> summary(e.details()), (a, b) -> a)));
        model.addAttribute("names", names);
        model.addAttribute("devices", mine);
        model.addAttribute("actions", Arrays.stream(ActivityAction.values()).map(ActivityAction::code).toList());
        model.addAttribute("sources", SOURCES);
        model.addAttribute("filter", Map.of("deviceId", deviceId == null ? "" : deviceId.toString(),
                "action", action == null ? "" : action, "source", source == null ? "" : source,
                "from", from == null ? "" : from, "to", to == null ? "" : to));
        return "activity";
    }

    /** The entry's details for people: {@code power: false → true}, or its other fields as {@code key: value}. */
    static String summary(JsonNode details) {
        if (details == null || !details.isObject()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        JsonNode changes = details.path("changes");
        if (changes.isArray()) {
            changes.forEach(c -> parts.add(c.path("property").asString() + ": " + text(c.path("old")) + " → "
                    + text(c.path("new"))));
        }
        details.properties().forEach(e -> {
            if (!e.getKey().equals("changes") && !e.getKey().equals("name") && e.getValue().isValueNode()) {
                parts.add(e.getKey() + ": " + text(e.getValue()));
            }
        });
        return String.join(", ", parts);
    }

    private static String text(JsonNode value) {
        return value == null || value.isNull() || value.isMissingNode() ? "–" : value.asString();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    /** A {@code yyyy-MM-dd} day (UTC) as its start, or the start of the day after ({@code plusDays = 1}). */
    private static Instant day(String field, String value, int plusDays) {
        if (blank(value)) {
            return null;
        }
        try {
            return LocalDate.parse(value).plusDays(plusDays).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidField(field, "must be a date such as 2026-01-31.");
        }
    }

}
