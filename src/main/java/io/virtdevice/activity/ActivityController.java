package io.virtdevice.activity;

import io.virtdevice.platform.web.ApiProblem;
import io.virtdevice.platform.web.PageLimit;
import io.virtdevice.platform.web.ProblemTypes;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/activity}: the activity log newest first, filtered by device, action and time range
 * ({@code from} inclusive, {@code to} exclusive, ISO-8601 instants), with keyset pagination.
 */
@RestController
class ActivityController {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = ActivityFeed.MAX_PAGE_SIZE;

    private final ActivityFeed feed;

    ActivityController(ActivityFeed feed) {
        this.feed = feed;
    }

    @GetMapping("/api/v1/activity")
    ActivityPage list(@RequestParam(required = false) UUID deviceId,
            @RequestParam(required = false) String action, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) String limit,
            @RequestParam(required = false) String cursor) {
        ActivityAction actionFilter = action == null || action.isEmpty()
                ? null
                : ActivityAction.fromCode(action).orElseThrow(() -> invalid("action", "is not a known activity action."));
        Instant start = instant("from", from);
        Instant end = instant("to", to);
        if (start != null && end != null && start.isAfter(end)) {
            throw invalid("from", "must not be after 'to'.");
        }
        return feed.page(deviceId, actionFilter, start, end, limit(limit), cursor);
    }

    private static Instant instant(String name, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw invalid(name, "must be an ISO-8601 instant such as 2025-01-31T12:00:00Z.");
        }
    }

    private static int limit(String value) {
        return PageLimit.parse(value, DEFAULT_LIMIT, MAX_LIMIT);
    }

    private static ApiProblem invalid(String parameter, String message) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, ProblemTypes.INVALID_PARAMETER, "Invalid parameter",
                "Parameter '" + parameter + "' " + message);
    }
}
