package io.virtdevice.events;

import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.KeysetCursor;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * {@code event_failures}: events parked for one consumer and owner (failing, waiting behind a failing one, or
 * given up: the dead letters). Callers run in a transaction bound to the owner (RLS), except {@link #due}.
 */
@Component
class EventFailureRepository {

    static final int MAX_ERROR = 512;

    private static final String PARK = """
            insert into event_failures (tenant_id, user_id, consumer, event_id, event_seq, event_type, device_id,
                                        attempts, error, first_failed_at, last_failed_at, next_attempt_at)
            select :tenant, :user, :consumer, e.id, e.seq, e.type, e.device,
                   case when e.id = :failed then 1 else 0 end,
                   case when e.id = :failed then cast(:error as varchar) end,
                   case when e.id = :failed then now() end,
                   case when e.id = :failed then now() end,
                   case when e.id = :failed then now() + cast(:backoff as interval) else now() end
              from unnest(cast(cast(:ids as text[]) as uuid[]), cast(:seqs as bigint[]), cast(:types as text[]),
                          cast(cast(:devices as text[]) as uuid[])) as e(id, seq, type, device)
             where exists (select 1 from users u where u.id = :user)
            on conflict (consumer, event_id) do nothing
            """;

    private static final String DUE = "select tenant_id, user_id from app.event_failures_due(:consumer, :limit)";

    private static final String PENDING = """
            select id, event_id, attempts, next_attempt_at <= now() as due from event_failures
             where consumer = :consumer and status = 'pending'
             order by event_seq limit :limit
            """;

    private static final String DONE = "delete from event_failures where id = :id";

    private static final String FAILED = """
            update event_failures
               set attempts = attempts + 1, error = :error, first_failed_at = coalesce(first_failed_at, now()),
                   last_failed_at = now(),
                   status = case when attempts + 1 >= :max then 'dead' else 'pending' end,
                   next_attempt_at = now() + cast(:backoff as interval)
             where id = :id
            returning status = 'dead'
            """;

    private static final String COLUMNS = """
            select id, consumer, event_id, event_seq, event_type, device_id, status, attempts, error,
                   first_failed_at, last_failed_at, next_attempt_at, created_at
              from event_failures
            """;

    // keyset pagination on (created_at, id), newest first (event_failures_user_idx: the owner's rows by time)
    private static final String LIST = COLUMNS + """
             where (attempts > 0 or status = 'dead' or error is not null)
               and (cast(:afterAt as timestamptz) is null or (created_at, id) < (:afterAt, :afterId))
             order by created_at desc, id desc limit :limit
            """;

    private static final String BY_ID = COLUMNS + " where id = :id";

    private static final String RETRY = """
            update event_failures set status = 'pending', attempts = 0, next_attempt_at = now()
             where id = :id and status = 'dead'
            """;

    /** A parked event of the bound owner. */
    record Pending(UUID id, UUID eventId, int attempts, boolean due) {}

    private final JdbcClient jdbc;

    EventFailureRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Parks one owner's events for a consumer, in order; {@code failed} (or null) is the one that failed, with
     * its error and first retry after {@code backoff}; the others wait behind it (due at once, but only the
     * oldest of an owner is ever handed over). Nothing is parked for a user who is gone (nobody is left to
     * react for, and the rows would break their foreign key).
     */
    void park(String consumer, TenantContext owner, List<DeviceEvent> events, UUID failed, String error,
            Duration backoff) {
        jdbc.sql(PARK)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("consumer", consumer)
                .param("failed", failed)
                .param("error", truncate(error))
                .param("backoff", backoff.toMillis() + " milliseconds")
                .param("ids", events.stream().map(e -> e.id().toString()).toArray(String[]::new))
                .param("seqs", events.stream().map(DeviceEvent::seq).toArray(Long[]::new))
                .param("types", events.stream().map(DeviceEvent::type).toArray(String[]::new))
                .param("devices", events.stream()
                        .map(e -> e.deviceId() == null ? null : e.deviceId().toString()).toArray(String[]::new))
                .update();
    }

    /** Owners whose oldest parked event for the consumer is due, across tenants. */
    List<TenantContext> due(String consumer, int limit) {
        return jdbc.sql(DUE).param("consumer", consumer).param("limit", limit)
                .query((rs, i) -> new TenantContext(rs.getObject("tenant_id", UUID.class),
                        rs.getObject("user_id", UUID.class)))
                .list();
    }

    /** The bound owner's pending events for the consumer, oldest first. */
    List<Pending> pending(String consumer, int limit) {
        return jdbc.sql(PENDING).param("consumer", consumer).param("limit", limit)
                .query((rs, i) -> new Pending(rs.getObject("id", UUID.class), rs.getObject("event_id", UUID.class),
                        rs.getInt("attempts"), rs.getBoolean("due")))
                .list();
    }

    void done(UUID id) {
        jdbc.sql(DONE).param("id", id).update();
    }

    /** Records a failed attempt; true when the event is given up now (a dead letter). */
    boolean failed(UUID id, String error, int maxFailures, Duration backoff) {
        return jdbc.sql(FAILED)
                .param("id", id)
                .param("error", truncate(error))
                .param("max", maxFailures)
                .param("backoff", backoff.toMillis() + " milliseconds")
                .query(Boolean.class)
                .single();
    }

    /** The bound user's failed and given-up events (those waiting behind them are not listed), newest first. */
    List<EventFailure> list(KeysetCursor after, int limit) {
        return jdbc.sql(LIST)
                .param("afterAt", after == null ? null : OffsetDateTime.ofInstant(after.createdAt(), ZoneOffset.UTC),
                        Types.TIMESTAMP_WITH_TIMEZONE)
                .param("afterId", after == null ? null : after.id(), Types.OTHER)
                .param("limit", limit)
                .query(EventFailureRepository::failure).list();
    }

    Optional<EventFailure> find(UUID id) {
        return jdbc.sql(BY_ID).param("id", id).query(EventFailureRepository::failure).optional();
    }

    /** Hands a dead letter back to its consumer; false if there is no such dead letter. */
    boolean retry(UUID id) {
        return jdbc.sql(RETRY).param("id", id).update() == 1;
    }

    private static EventFailure failure(ResultSet rs, int row) throws SQLException {
        String status = rs.getString("status");
        if ("pending".equals(status)) {
            status = rs.getString("error") == null ? EventFailure.WAITING : EventFailure.RETRYING;
        }
        return new EventFailure(
                rs.getObject("id", UUID.class),
                rs.getString("consumer"),
                rs.getObject("event_id", UUID.class),
                rs.getLong("event_seq"),
                rs.getString("event_type"),
                rs.getObject("device_id", UUID.class),
                status,
                rs.getInt("attempts"),
                rs.getString("error"),
                instant(rs, "first_failed_at"),
                instant(rs, "last_failed_at"),
                EventFailure.DEAD.equals(status) ? null : instant(rs, "next_attempt_at"),
                instant(rs, "created_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    static String truncate(String error) {
        if (error == null) {
            return null;
        }
        return error.length() <= MAX_ERROR ? error : error.substring(0, MAX_ERROR - 1) + "…";
    }
}
