package io.virtdevice.activity;

import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.KeysetCursor;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The activity module's API for readers: the log newest first, as far as row-level security lets the
 * context user see it (their own entries; the whole tenant's for owners and admins).
 */
@Service
public class ActivityFeed {

    public static final int MAX_PAGE_SIZE = 100;

    private final ActivityRepository activity;

    ActivityFeed(ActivityRepository activity) {
        this.activity = activity;
    }

    /**
     * One page of entries. The filters are each null for "any"; {@code from} is inclusive, {@code to} exclusive.
     *
     * @param cursor the previous page's {@link ActivityPage#nextCursor()}, or null for the newest entries
     */
    @Transactional(readOnly = true)
    public ActivityPage page(UUID deviceId, ActivityAction action, Instant from, Instant to, int limit,
            String cursor) {
        return page(deviceId, action, null, from, to, limit, cursor);
    }

    /** As above, also filtered by source ({@code web}, {@code api}, {@code alexa}, ...; null for any). */
    @Transactional(readOnly = true)
    public ActivityPage page(UUID deviceId, ActivityAction action, String source, Instant from, Instant to,
            int limit, String cursor) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_PAGE_SIZE);
        }
        KeysetCursor before = KeysetCursor.decode(cursor);
        UUID tenantId = TenantScope.current().orElseThrow(() -> new IllegalStateException("no tenant context"))
                .tenantId();
        List<ActivityEntry> rows = activity.page(tenantId, new ActivityRepository.Filter(deviceId, action, source, from, to),
                before, limit + 1);
        if (rows.size() <= limit) {
            return new ActivityPage(rows, null);
        }
        ActivityEntry last = rows.get(limit - 1);
        return new ActivityPage(List.copyOf(rows.subList(0, limit)),
                new KeysetCursor(last.createdAt(), last.id()).encode());
    }
}
