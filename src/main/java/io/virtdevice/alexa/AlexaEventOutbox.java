package io.virtdevice.alexa;

import io.virtdevice.platform.tenancy.TenantContext;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code alexa_event_outbox} (migration V120): the events still to send to the Event Gateway, in order per
 * endpoint, and the last ones sent (RLS: the context user's rows only; cross-tenant claiming through
 * {@code app.claim_alexa_events}).
 */
@Component
class AlexaEventOutbox {

    // One statement stages a run of one owner's messages (in order, already coalesced among themselves by the
    // caller). Per endpoint: messages the endpoint's newest row has seen already are skipped (the dispatcher
    // re-ran a batch); the first ChangeReport of the run is folded into the endpoint's last pending row if
    // that is a ChangeReport nobody is sending (never sent, or waiting for its retry: coalescing, latest state
    // and the union of the changed properties; never when either reports a sensor becoming DETECTED, the edge
    // a routine fires on); the rest are inserted in order, the first one leased to this
    // process when the endpoint had no pending row (its first attempt is made right after the dispatch
    // commits), the others waiting for the rows before them. The fold re-checks the lease, and whatever it did
    // not fold is inserted. A test fire is always inserted, leased. Returns the inserted rows.
    private static final String STAGE = """
            with e as (
                select * from unnest(cast(:ords as integer[]), cast(cast(:devices as text[]) as uuid[]),
                                     cast(:endpoints as text[]), cast(:kinds as text[]), cast(:causes as text[]),
                                     cast(:bodies as text[]), cast(:changeds as text[]), cast(:seqs as bigint[]),
                                     cast(cast(:firsts as text[]) as timestamptz[]),
                                     cast(cast(:lasts as text[]) as timestamptz[]), cast(:counts as integer[]),
                                     cast(:edges as boolean[]))
                    as e(ord, device_id, endpoint_id, kind, cause, body, changed, seq, first_at, last_at, cnt, edge)),
            ep as (
                select x.endpoint_id,
                       (select max(o.last_event_seq) from alexa_event_outbox o
                         where o.user_id = :user and o.endpoint_id = x.endpoint_id) as seen_seq,
                       (select o.id from alexa_event_outbox o
                         where o.user_id = :user and o.endpoint_id = x.endpoint_id and o.status = 'pending'
                         order by o.seq desc limit 1) as last_pending
                  from (select distinct endpoint_id from e) as x),
            fresh as (
                select e.*, ep.last_pending, row_number() over (partition by e.endpoint_id order by e.ord) as rn
                  from e join ep on ep.endpoint_id = e.endpoint_id
                 where :test or e.seq > coalesce(ep.seen_seq, 0)),
            merged as (
                update alexa_event_outbox o
                   set body = cast(f.body as jsonb), cause = f.cause, last_event_seq = f.seq,
                       event_count = o.event_count + f.cnt, last_change_at = f.last_at,
                       changed = array(select distinct x from unnest(o.changed || cast(f.changed as text[])) as x)
                  from fresh f
                 where not :test and f.rn = 1 and f.kind = 'ChangeReport' and o.id = f.last_pending
                   and o.kind = 'ChangeReport' and not o.test and o.status = 'pending' and o.lease_until is null
                   -- a sensor becoming DETECTED is an edge a routine fires on: never folded either way
                   and not f.edge
                   and not exists (select 1 from jsonb_array_elements(o.body) as p
                                    where p->>'name' = 'detectionState' and p->>'value' = 'DETECTED'
                                      and (p->>'namespace') || '.detectionState' = any (o.changed))
                returning f.ord),
            inserted as (
                insert into alexa_event_outbox (id, tenant_id, user_id, device_id, endpoint_id, kind, cause, body,
                                                changed, last_event_seq, event_count, first_change_at, last_change_at,
                                                test, lease_until, lease_owner)
                select gen_random_uuid(), :tenant, :user, f.device_id, f.endpoint_id, f.kind, f.cause,
                       cast(f.body as jsonb), cast(f.changed as text[]), f.seq, f.cnt, f.first_at, f.last_at, :test,
                       case when :test or (f.rn = 1 and f.last_pending is null)
                            then now() + cast(:lease as interval) end,
                       case when :test or (f.rn = 1 and f.last_pending is null) then :owner end
                  from fresh f
                 where f.ord not in (select ord from merged)
                 order by f.ord
                returning id, endpoint_id, kind, last_event_seq, lease_until is not null as leased)
            select id, endpoint_id, kind, last_event_seq, leased from inserted
            """;

    private static final String FOR_ATTEMPT = """
            select id, device_id, endpoint_id, kind, cause, body::text as body, changed, attempts, first_change_at,
                   last_change_at, test, status, lease_until
              from alexa_event_outbox where id = :id
            """;

    // One round trip per attempt: the outcome recorded and the lease ended; when the row is finished (:done),
    // also the endpoint's history pruned to the newest :keep finished rows and its next pending row leased to
    // this process if it is due and nobody is sending it (returned: it is attempted at once). The CTEs share
    // one snapshot, in which this row is still pending: hence "another row" and "this one is kept".
    private static final String FINISH = """
            with recorded as (
                update alexa_event_outbox
                   set status = :status, attempts = :attempts, next_attempt_at = coalesce(:next, next_attempt_at),
                       lease_until = null, lease_owner = null, region = :region, message_id = :messageId,
                       http_status = :httpStatus, gateway_code = :code, error = :error, latency_ms = :latency,
                       finished_at = case when :status = 'pending' then null else now() end
                 where id = :id and status = 'pending'
                returning id),
            pruned as (
                delete from alexa_event_outbox o
                 where :done and exists (select 1 from recorded)
                   and o.user_id = :user and o.endpoint_id = :endpoint and o.status <> 'pending'
                   and o.seq < (select f.seq from alexa_event_outbox f
                                 where f.user_id = :user and f.endpoint_id = :endpoint and f.status <> 'pending'
                                 order by f.seq desc offset :keep - 1 limit 1)),
            next as (
                update alexa_event_outbox o
                   set lease_until = now() + cast(:lease as interval), lease_owner = :owner
                 where :done and exists (select 1 from recorded)
                   and o.id = (select p.id from alexa_event_outbox p
                                where p.user_id = :user and p.endpoint_id = :endpoint and p.status = 'pending'
                                  and p.id <> :id
                                order by p.seq limit 1
                                  for update skip locked)
                   and o.next_attempt_at <= now() and o.lease_until is null
                returning o.id)
            select id from next
            """;

    private static final String CLAIM_DUE = "select id, tenant_id, user_id from app.claim_alexa_events(:owner, :leaseMs, :limit)";

    private static final String HISTORY = """
            select id, kind, cause, status, attempts, event_count, first_change_at, last_change_at, region, message_id,
                   http_status, gateway_code, error, latency_ms, test, created_at, finished_at, next_attempt_at, changed,
                   delayed
              from alexa_event_outbox
             where user_id = :user and endpoint_id = :endpoint
             order by seq desc
             limit :limit
            """;

    private static final String SUMMARY = """
            select count(*) filter (where status = 'sent') as sent,
                   count(*) filter (where status = 'failed') as failed,
                   count(*) filter (where status = 'expired') as expired,
                   count(*) filter (where status = 'dropped') as dropped
              from alexa_event_outbox
             where user_id = :user and finished_at >= now() - cast(:window as interval) and not test
            """;

    private static final String PENDING = "select count(*) from alexa_event_outbox where user_id = :user and status = 'pending'";

    private static final String LAST_FAILURE = """
            select endpoint_id, kind, http_status, gateway_code, error, finished_at
              from alexa_event_outbox
             where user_id = :user and status in ('failed', 'expired') and not test
             order by finished_at desc
             limit 1
            """;

    private final JdbcClient jdbc;
    private final JsonMapper json;

    AlexaEventOutbox(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * One message to stage for an endpoint: one event's, or several consecutive ChangeReports' of the endpoint
     * folded together ({@code count} changes from {@code firstAt} to {@code at}, the latest state).
     */
    record Staging(UUID deviceId, String endpointId, String kind, String cause, JsonNode body, Set<String> changed,
            long eventSeq, Instant firstAt, Instant at, int count) {

        Staging(UUID deviceId, String endpointId, String kind, String cause, JsonNode body, Set<String> changed,
                long eventSeq, Instant at) {
            this(deviceId, endpointId, kind, cause, body, changed, eventSeq, at, at, 1);
        }

        /**
         * Whether this ChangeReport reports a sensor becoming DETECTED: the edge a routine fires on. It is never
         * folded with another report (a pulse's DETECTED → NOT_DETECTED → DETECTED must reach Alexa as edges,
         * not as "DETECTED, latest state"), while other changes still coalesce.
         */
        boolean detectionEdge() {
            if (!AlexaEventMessages.CHANGE_REPORT.equals(kind) || body == null) {
                return false;
            }
            for (JsonNode p : body) {
                if ("detectionState".equals(p.path("name").asString())
                        && "DETECTED".equals(p.path("value").asString())
                        && changed.contains(p.path("namespace").asString() + ".detectionState")) {
                    return true;
                }
            }
            return false;
        }

        /** This ChangeReport with a later one of the same endpoint folded in. */
        Staging fold(Staging later) {
            Set<String> union = new LinkedHashSet<>(changed);
            union.addAll(later.changed());
            return new Staging(deviceId, endpointId, kind, later.cause(), later.body(), union, later.eventSeq(), firstAt,
                    later.at(), count + later.count());
        }
    }

    /** A row whose attempt this process may make now. */
    record Claimed(TenantContext owner, UUID id) {}

    /**
     * Stages a run of one owner's messages in order (see {@link #STAGE}); returns the rows inserted (not those
     * skipped or folded into a waiting ChangeReport), each saying whether it is leased to this process now.
     */
    List<Inserted> stage(TenantContext owner, List<Staging> run, boolean test, Duration lease, Integer leaseOwner) {
        if (run.isEmpty()) {
            return List.of();
        }
        List<Inserted> inserted = jdbc.sql(STAGE)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("ords", java.util.stream.IntStream.range(0, run.size()).boxed().toArray(Integer[]::new))
                .param("devices", run.stream().map(s -> s.deviceId() == null ? null : s.deviceId().toString())
                        .toArray(String[]::new))
                .param("endpoints", run.stream().map(Staging::endpointId).toArray(String[]::new))
                .param("kinds", run.stream().map(Staging::kind).toArray(String[]::new))
                .param("causes", run.stream().map(Staging::cause).toArray(String[]::new))
                .param("bodies", run.stream().map(s -> json.writeValueAsString(s.body())).toArray(String[]::new))
                .param("changeds", run.stream().map(s -> textArray(s.changed())).toArray(String[]::new))
                .param("seqs", run.stream().map(Staging::eventSeq).toArray(Long[]::new))
                .param("firsts", run.stream().map(s -> s.firstAt().toString()).toArray(String[]::new))
                .param("lasts", run.stream().map(s -> s.at().toString()).toArray(String[]::new))
                .param("counts", run.stream().map(Staging::count).toArray(Integer[]::new))
                .param("edges", run.stream().map(Staging::detectionEdge).toArray(Boolean[]::new))
                .param("test", test)
                .param("lease", lease.toMillis() + " milliseconds")
                .param("owner", leaseOwner, Types.INTEGER)
                .query((rs, i) -> {
                    long seq = rs.getLong("last_event_seq");
                    String endpoint = rs.getString("endpoint_id");
                    Staging s = run.stream().filter(x -> x.eventSeq() == seq && x.endpointId().equals(endpoint))
                            .findFirst().orElseThrow();
                    return new Inserted(new Row(rs.getObject("id", UUID.class), s.deviceId(), s.endpointId(), s.kind(),
                            s.cause(), s.body(), new LinkedHashSet<>(s.changed()), 0, s.firstAt(), s.at(), test,
                            "pending", null), rs.getBoolean("leased"));
                })
                .list();
        return inserted;
    }

    /** A PostgreSQL array literal of property keys ({@code Namespace.name}: letters, digits and dots only). */
    private static String textArray(Set<String> values) {
        return values.stream().map(v -> "\"" + v.replaceAll("[^A-Za-z0-9._]", "") + "\"")
                .collect(java.util.stream.Collectors.joining(",", "{", "}"));
    }

    /** A row just inserted; {@code leased}: its first attempt is this process's, now. */
    record Inserted(Row row, boolean leased) {}

    /** A row as an attempt needs it. */
    record Row(UUID id, UUID deviceId, String endpointId, String kind, String cause, JsonNode body,
            Set<String> changed, int attempts, Instant firstChangeAt, Instant lastChangeAt, boolean test,
            String status, Instant leaseUntil) {}

    Optional<Row> forAttempt(UUID id) {
        return jdbc.sql(FOR_ATTEMPT).param("id", id).query((rs, i) -> new Row(
                        rs.getObject("id", UUID.class),
                        rs.getObject("device_id", UUID.class),
                        rs.getString("endpoint_id"),
                        rs.getString("kind"),
                        rs.getString("cause"),
                        json.readTree(rs.getString("body")),
                        new LinkedHashSet<>(Arrays.asList((String[]) rs.getArray("changed").getArray())),
                        rs.getInt("attempts"),
                        instant(rs, "first_change_at"),
                        instant(rs, "last_change_at"),
                        rs.getBoolean("test"),
                        rs.getString("status"),
                        instant(rs, "lease_until")))
                .optional();
    }

    /** What one attempt came to. */
    record Outcome(String status, int attempts, Instant next, String region, String messageId, Integer httpStatus,
            String code, String error, Long latencyMs) {}

    /**
     * Records the attempt and ends the lease; when the row is finished, prunes the endpoint's history and
     * leases its next row, if one is due (returned).
     */
    Optional<UUID> finish(UUID userId, Row row, Outcome o, int keep, Duration lease, Integer leaseOwner) {
        return jdbc.sql(FINISH)
                .param("id", row.id())
                .param("user", userId)
                .param("endpoint", row.endpointId())
                .param("done", !"pending".equals(o.status()))
                .param("status", o.status())
                .param("attempts", o.attempts())
                .param("next", o.next() == null ? null : utc(o.next()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("region", o.region(), Types.VARCHAR)
                .param("messageId", o.messageId(), Types.VARCHAR)
                .param("httpStatus", o.httpStatus(), Types.INTEGER)
                .param("code", truncate(o.code(), 128), Types.VARCHAR)
                .param("error", truncate(o.error(), 512), Types.VARCHAR)
                .param("latency", o.latencyMs() == null ? null : (int) Math.min(Integer.MAX_VALUE, o.latencyMs()),
                        Types.INTEGER)
                .param("keep", keep)
                .param("lease", lease.toMillis() + " milliseconds")
                .param("owner", leaseOwner, Types.INTEGER)
                .query(UUID.class)
                .optional();
    }

    /**
     * Holds a pending row back until {@code next} for its user's fair share of the gateway budget: the lease
     * ends (the poll claims it again when due) and, as for a retry, later changes of its endpoint coalesce
     * into it meanwhile.
     */
    void delay(UUID id, Instant next) {
        jdbc.sql("""
                update alexa_event_outbox
                   set next_attempt_at = :next, lease_until = null, lease_owner = null, delayed = delayed + 1
                 where id = :id and status = 'pending'
                """)
                .param("id", id)
                .param("next", utc(next), Types.TIMESTAMP_WITH_TIMEZONE)
                .update();
    }

    /** Deletes a row nobody can be told about (a DeleteReport of a user without any Alexa link). */
    void discard(UUID id) {
        jdbc.sql("delete from alexa_event_outbox where id = :id and status = 'pending'").param("id", id).update();
    }

    /** Claims due rows across tenants (no tenant context needed: a definer function). */
    List<Claimed> claimDue(Integer leaseOwner, Duration lease, int limit) {
        return jdbc.sql(CLAIM_DUE)
                .param("owner", leaseOwner, Types.INTEGER)
                .param("leaseMs", (int) lease.toMillis())
                .param("limit", limit)
                .query((rs, i) -> new Claimed(new TenantContext(rs.getObject("tenant_id", UUID.class),
                        rs.getObject("user_id", UUID.class)), rs.getObject("id", UUID.class)))
                .list();
    }

    /** One row of an endpoint's history, as the diagnostics show it. */
    public record Sent(UUID id, String kind, String cause, String status, int attempts, int coalesced, Instant firstChangeAt,
            Instant lastChangeAt, String region, String messageId, Integer gatewayStatus, String gatewayCode,
            String error, Integer latencyMs, boolean test, Instant createdAt, Instant finishedAt,
            Instant nextAttemptAt, List<String> changed, int delayed) {}

    List<Sent> history(UUID userId, String endpointId, int limit) {
        return jdbc.sql(HISTORY).param("user", userId).param("endpoint", endpointId).param("limit", limit)
                .query((rs, i) -> sent(rs)).list();
    }

    // the same per endpoint for several endpoints in one statement (a dashboard page of devices)
    private static final String HISTORIES = """
            select e.endpoint_id, o.*
              from unnest(cast(:endpoints as text[])) as e(endpoint_id)
             cross join lateral (
                   select id, kind, cause, status, attempts, event_count, first_change_at, last_change_at, region,
                          message_id, http_status, gateway_code, error, latency_ms, test, created_at, finished_at,
                          next_attempt_at, changed, delayed
                     from alexa_event_outbox
                    where user_id = :user and endpoint_id = e.endpoint_id
                    order by seq desc
                    limit :limit) as o
            """;

    /** {@link #history} of several endpoints at once: endpoint id → its rows, newest first. */
    Map<String, List<Sent>> histories(UUID userId, List<String> endpointIds, int limit) {
        Map<String, List<Sent>> byEndpoint = new LinkedHashMap<>();
        endpointIds.forEach(e -> byEndpoint.put(e, new ArrayList<>()));
        jdbc.sql(HISTORIES).param("user", userId).param("endpoints", endpointIds.toArray(String[]::new))
                .param("limit", limit)
                .query((rs, i) -> Map.entry(rs.getString("endpoint_id"), sent(rs)))
                .list()
                .forEach(row -> byEndpoint.computeIfAbsent(row.getKey(), k -> new ArrayList<>()).add(row.getValue()));
        return byEndpoint;
    }

    private static Sent sent(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Sent(
                        rs.getObject("id", UUID.class),
                        rs.getString("kind"),
                        rs.getString("cause"),
                        rs.getString("status"),
                        rs.getInt("attempts"),
                        rs.getInt("event_count"),
                        instant(rs, "first_change_at"),
                        instant(rs, "last_change_at"),
                        rs.getString("region"),
                        rs.getString("message_id"),
                        rs.getObject("http_status", Integer.class),
                        rs.getString("gateway_code"),
                        rs.getString("error"),
                        rs.getObject("latency_ms", Integer.class),
                        rs.getBoolean("test"),
                        instant(rs, "created_at"),
                        instant(rs, "finished_at"),
                        "pending".equals(rs.getString("status")) ? instant(rs, "next_attempt_at") : null,
                        List.of((String[]) rs.getArray("changed").getArray()),
                        rs.getInt("delayed"));
    }

    /**
     * Counts over a window, for the health summary; {@code dropped}: DeleteReports there was no link to send
     * with.
     */
    public record Counts(long sent, long failed, long expired, long dropped, long pending) {}

    Counts counts(UUID userId, Duration window) {
        long pending = jdbc.sql(PENDING).param("user", userId).query(Long.class).single();
        return jdbc.sql(SUMMARY).param("user", userId).param("window", window.toSeconds() + " seconds")
                .query((rs, i) -> new Counts(rs.getLong("sent"), rs.getLong("failed"), rs.getLong("expired"),
                        rs.getLong("dropped"), pending))
                .single();
    }

    /** The latest failed or expired event. */
    public record Failure(String endpointId, String kind, Integer httpStatus, String code, String error, Instant at) {}

    Optional<Failure> lastFailure(UUID userId) {
        return jdbc.sql(LAST_FAILURE).param("user", userId)
                .query((rs, i) -> new Failure(rs.getString("endpoint_id"), rs.getString("kind"),
                        rs.getObject("http_status", Integer.class), rs.getString("gateway_code"), rs.getString("error"),
                        instant(rs, "finished_at")))
                .optional();
    }

    private static OffsetDateTime utc(Instant at) {
        return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }
}
