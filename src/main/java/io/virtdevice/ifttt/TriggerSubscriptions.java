package io.virtdevice.ifttt;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * IFTTT's trigger identities ({@code ifttt_trigger_subscriptions}: one per user, trigger and field values)
 * and the realtime notices staged for them ({@code ifttt_realtime_notices}). Everything runs under the
 * owner's tenant context.
 */
@Repository
class TriggerSubscriptions {

    /** A stored trigger identity. */
    record Subscription(UUID id, String identity, String trigger, String fields, boolean enabled,
            Instant lastPolledAt, Instant lastNotifiedAt, Instant lastLoggedAt, Instant createdAt) {}

    /**
     * The user's identities at a glance (the dashboard); the realtime counts are those of accepted notices
     * plus the waiting ones'.
     *
     * @param pendingNotices realtime notices waiting (debounce, fair share or retry)
     * @param coalesced changes folded into a realtime notice of another change
     * @param delayed holds of realtime notices for the user's fair share
     */
    record Summary(int count, Instant lastPolledAt, Instant lastNotifiedAt, int pendingNotices, long coalesced,
            long delayed) {}

    /**
     * A listed identity with its realtime diagnostics.
     *
     * @param coalesced changes folded into its realtime notices (accepted and waiting)
     * @param delayed holds of its realtime notices for the user's fair share (accepted and waiting)
     * @param noticeDueAt when its waiting notice goes out next, or null when none waits
     */
    record Listed(Subscription subscription, long coalesced, long delayed, Instant noticeDueAt) {}

    /** At most one activity entry per identity in this time. */
    static final Duration LOG_EVERY = Duration.ofMinutes(15);

    private static final String COLUMNS = """
            id, trigger_identity, trigger_type, trigger_fields::text as trigger_fields, enabled, last_polled_at,
            last_notified_at, last_logged_at, created_at
            """;

    private static final String FIND = "select " + COLUMNS
            + " from ifttt_trigger_subscriptions where user_id = :user and trigger_identity = :identity";

    private static final String UPSERT = """
            insert into ifttt_trigger_subscriptions (tenant_id, user_id, trigger_type, trigger_fields, trigger_identity,
                                                     ifttt_source, last_polled_at)
            values (:tenant, :user, :trigger, cast(:fields as jsonb), :identity, cast(:source as jsonb), now())
            on conflict (user_id, trigger_identity) do update
               set trigger_type = excluded.trigger_type, trigger_fields = excluded.trigger_fields,
                   ifttt_source = coalesce(excluded.ifttt_source, ifttt_trigger_subscriptions.ifttt_source),
                   enabled = true, last_polled_at = now()
            """;

    // A poll's bookkeeping never waits for another transaction: the row is taken only if nobody holds it
    // (SKIP LOCKED). The holder is almost always another poll of the same identity recording the same thing (IFTTT
    // and the bench poll an identity several times at once); otherwise the next poll records it. Waiting made
    // every concurrent poll of an identity queue behind the first one's whole transaction once a minute
    // (issue 14 §2: row-lock waits on this UPDATE in the large-database bench).
    private static final String TOUCH = """
            update ifttt_trigger_subscriptions set last_polled_at = now()
             where id = (select s.id from ifttt_trigger_subscriptions s
                          where s.id = :id
                            and (s.last_polled_at is null or s.last_polled_at < now() - cast(:precision as interval))
                            for update skip locked)
            """;

    // The same, committed without waiting for the WAL flush (set in the statement: no extra round trip). Only
    // for a poll that writes nothing else: a crash may lose the last fraction of a second of poll times, which
    // only the dashboard shows.
    private static final String TOUCH_ASYNCHRONOUS_COMMIT = TOUCH + """
               and set_config('synchronous_commit', 'off', true) = 'off'
            """;

    // Likewise without waiting: a poll that finds the row held lets the holder (or the next poll) write the entry.
    private static final String MARK_LOGGED = """
            update ifttt_trigger_subscriptions set last_logged_at = now()
             where id = (select s.id from ifttt_trigger_subscriptions s
                          where s.user_id = :user and s.trigger_identity = :identity
                            and (s.last_logged_at is null or s.last_logged_at < now() - interval '15 minutes')
                            for update skip locked)
            """;

    private static final String DELETE = """
            delete from ifttt_trigger_subscriptions
             where user_id = :user and trigger_identity = :identity and trigger_type = :trigger
            """;

    private static final String DELETE_ALL = "delete from ifttt_trigger_subscriptions where user_id = :user";

    private static final String OF_DEVICE = "select " + COLUMNS + """
             from ifttt_trigger_subscriptions
            where user_id = :user and (trigger_fields ->> 'device') = :device and enabled
            """;

    private static final String DISABLE_DEVICE = """
            update ifttt_trigger_subscriptions set enabled = false
             where user_id = :user and (trigger_fields ->> 'device') = :device and enabled
            """;

    private static final String LIST = """
            select s.id, s.trigger_identity, s.trigger_type, s.trigger_fields::text as trigger_fields, s.enabled,
                   s.last_polled_at, s.last_notified_at, s.last_logged_at, s.created_at,
                   s.realtime_coalesced + coalesce(n.coalesced, 0) as coalesced,
                   s.realtime_delayed + coalesce(n.delayed, 0) as delayed, n.due_at as notice_due_at
              from ifttt_trigger_subscriptions s
              left join ifttt_realtime_notices n on n.subscription_id = s.id
             where s.user_id = :user
             order by s.created_at desc, s.id limit :limit
            """;

    private static final String SUMMARY = """
            select count(*) filter (where s.enabled), max(s.last_polled_at), max(s.last_notified_at),
                   count(n.id), sum(s.realtime_coalesced + coalesce(n.coalesced, 0)),
                   sum(s.realtime_delayed + coalesce(n.delayed, 0))
              from ifttt_trigger_subscriptions s
              left join ifttt_realtime_notices n on n.subscription_id = s.id
             where s.user_id = :user
            """;

    // one pending notice per identity: a change while one waits is folded into it (coalesced: IFTTT is told
    // once to poll the identity, and its poll sees every change)
    private static final String STAGE_NOTICE = """
            insert into ifttt_realtime_notices (tenant_id, user_id, subscription_id, trigger_identity, due_at)
            values (:tenant, :user, :subscription, :identity, now() + cast(:debounce as interval))
            on conflict (subscription_id) do update set coalesced = ifttt_realtime_notices.coalesced + 1
            """;

    private final JdbcClient jdbc;

    TriggerSubscriptions(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Subscription> find(UUID userId, String identity) {
        return jdbc.sql(FIND).param("user", userId).param("identity", identity).query(TriggerSubscriptions::row)
                .optional();
    }

    void upsert(TenantContext owner, String identity, String trigger, String fieldsJson, String sourceJson) {
        jdbc.sql(UPSERT)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("trigger", trigger)
                .param("fields", fieldsJson)
                .param("identity", identity)
                .param("source", sourceJson)
                .update();
    }

    /**
     * Records a poll unless the recorded one is younger than {@code precision}, or another transaction holds the
     * identity's row (then that one or the next poll records it: a poll never waits for bookkeeping).
     *
     * @param durable false when the poll's transaction writes nothing else: it then commits asynchronously
     */
    void touchPolled(UUID id, Duration precision, boolean durable) {
        jdbc.sql(durable ? TOUCH : TOUCH_ASYNCHRONOUS_COMMIT).param("id", id)
                .param("precision", precision.toMillis() + " milliseconds").update();
    }

    /**
     * True when this poll should go to the activity log (the identity's first in 15 minutes); false too when
     * another transaction holds the identity's row (the entry is left to it or to the next poll, not waited for).
     */
    boolean markLogged(UUID userId, String identity) {
        return jdbc.sql(MARK_LOGGED).param("user", userId).param("identity", identity).update() == 1;
    }

    boolean delete(UUID userId, String trigger, String identity) {
        return jdbc.sql(DELETE).param("user", userId).param("trigger", trigger).param("identity", identity)
                .update() == 1;
    }

    int deleteAll(UUID userId) {
        return jdbc.sql(DELETE_ALL).param("user", userId).update();
    }

    List<Subscription> ofDevice(UUID userId, String iftttDeviceId) {
        return jdbc.sql(OF_DEVICE).param("user", userId).param("device", iftttDeviceId)
                .query(TriggerSubscriptions::row).list();
    }

    int disableDevice(UUID userId, String iftttDeviceId) {
        return jdbc.sql(DISABLE_DEVICE).param("user", userId).param("device", iftttDeviceId).update();
    }

    List<Listed> list(UUID userId, int limit) {
        return jdbc.sql(LIST).param("user", userId).param("limit", limit)
                .query((rs, i) -> new Listed(row(rs, i), rs.getLong("coalesced"), rs.getLong("delayed"),
                        instant(rs, "notice_due_at")))
                .list();
    }

    Summary summary(UUID userId) {
        return jdbc.sql(SUMMARY).param("user", userId)
                .query((rs, i) -> new Summary(rs.getInt(1), instant(rs, 2), instant(rs, 3), rs.getInt(4),
                        rs.getLong(5), rs.getLong(6)))
                .single();
    }

    void stageNotice(TenantContext owner, Subscription subscription, String debounce) {
        jdbc.sql(STAGE_NOTICE)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("subscription", subscription.id())
                .param("identity", subscription.identity())
                .param("debounce", debounce)
                .update();
    }

    private static Subscription row(ResultSet rs, int i) throws SQLException {
        return new Subscription(rs.getObject("id", UUID.class), rs.getString("trigger_identity"),
                rs.getString("trigger_type"), rs.getString("trigger_fields"), rs.getBoolean("enabled"),
                instant(rs, "last_polled_at"), instant(rs, "last_notified_at"), instant(rs, "last_logged_at"),
                instant(rs, "created_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
