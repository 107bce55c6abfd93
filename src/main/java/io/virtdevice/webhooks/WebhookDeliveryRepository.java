package io.virtdevice.webhooks;

import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.KeysetCursor;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The delivery log, which is also each message's retry state (RLS: the context user's rows only). */
@Component
class WebhookDeliveryRepository {

    // One statement finds the webhooks matching each of one owner's events, stages a message for each pair
    // with its first attempt leased to this process, and returns what those attempts need; the unique
    // (webhook_id, event_id) makes a repeated dispatch stage (and return) nothing new. The message's id, and
    // so its webhook-id, is derived from (webhook_id, event_id): staged again after a database crash lost
    // the asynchronous commit of the first staging, it keeps the webhook-id it may already have been sent
    // with (V002).
    private static final String STAGE_FOR_EVENTS = """
            with e as (
                select * from unnest(cast(cast(:events as text[]) as uuid[]), cast(cast(:devices as text[]) as uuid[]),
                                     cast(:types as text[]), cast(:payloads as text[]))
                    as e(event_id, device_id, event_type, payload)),
            m as (
                select cast(md5('webhook-message:' || w.id::text || ':' || e.event_id::text) as uuid) as id, w.tenant_id, w.user_id, w.id as webhook_id, w.url,
                       w.headers::text as headers, w.secret_enc,
                       case when w.previous_secret_expires_at > now() then w.previous_secret_enc end
                           as previous_secret_enc,
                       e.event_id, e.event_type, e.payload
                  from e join webhooks w
                    on w.user_id = :user and w.enabled and e.event_type = any (w.events)
                   and (w.device_id is null or w.device_id = e.device_id)),
            staged as (
                insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type,
                                                payload, max_attempts, next_attempt_at, lease_until, lease_owner)
                select m.id, m.tenant_id, m.user_id, m.webhook_id, m.event_id, 'msg_' || replace(m.id::text, '-', ''),
                       m.event_type, m.payload, :maxAttempts, now(), now() + cast(:lease as interval), :owner
                  from m
                on conflict (webhook_id, event_id) do nothing
                returning id, event_id, msg_id, next_attempt_at, lease_until)
            select s.id, s.event_id, m.webhook_id, s.msg_id, s.next_attempt_at, s.lease_until, m.url, m.headers,
                   m.secret_enc, m.previous_secret_enc
              from staged s join m on m.id = s.id
            """;

    private static final String INSERT_TEST = """
            insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type, payload,
                                            max_attempts, next_attempt_at)
            values (:id, :tenant, :user, :webhook, null, :msgId, :type, :payload, 1, now())
            returning\s""" + Columns.DELIVERY;

    private static final String FOR_ATTEMPT = """
            select d.id, d.webhook_id, d.msg_id, d.payload, d.status, d.attempts, d.max_attempts, d.next_attempt_at,
                   w.url, w.headers::text as headers, w.enabled, w.secret_enc,
                   case when w.previous_secret_expires_at > now() then w.previous_secret_enc end as previous_secret_enc
              from webhook_deliveries d join webhooks w on w.id = d.webhook_id
             where d.id = :id
            """;

    private static final String RECORD = """
            update webhook_deliveries
               set status = :status, attempts = :attempt, last_attempt_at = now(), next_attempt_at = :next,
                   http_status = :httpStatus, latency_ms = :latency, response_excerpt = :excerpt, error = :error,
                   lease_until = null
             where id = :id
            """;

    private static final String RELEASE_LEASES = """
            update webhook_deliveries set lease_until = null
             where id = any (cast(cast(:ids as text[]) as uuid[])) and lease_until is not null
            returning id
            """;

    private static final String LEASE_EXPIRED = "select id, tenant_id, user_id from app.webhook_deliveries_lease_expired(:limit)";

    private static final String ABANDON = """
            update webhook_deliveries set status = 'failed', next_attempt_at = null, error = :error
             where id = :id and status = 'pending'
            """;

    // Successful attempts of one user (one, or a batch from FirstAttempts' recorder): each message recorded
    // unless it moved on meanwhile, and each webhook's failure state cleared in the same statement. The
    // webhook row is only updated when something changes (or once a second): a busy webhook's row would
    // otherwise be updated, and row-locked, by every single delivery.
    private static final String RECORD_SUCCESSES = """
            with u as (
                select * from unnest(cast(cast(:ids as text[]) as uuid[]), cast(cast(:attempts as text[]) as integer[]),
                                     cast(cast(:statuses as text[]) as integer[]),
                                     cast(cast(:latencies as text[]) as integer[]), cast(:excerpts as text[]),
                                     cast(cast(:ats as text[]) as timestamptz[]))
                    as u(id, attempt, http_status, latency_ms, excerpt, at)),
            d as (
                update webhook_deliveries d
                   set status = 'succeeded', attempts = u.attempt, last_attempt_at = u.at, next_attempt_at = null,
                       http_status = u.http_status, latency_ms = u.latency_ms, response_excerpt = u.excerpt,
                       error = null, lease_until = null
                  from u
                 where d.id = u.id and d.status = 'pending' and d.attempts = u.attempt - 1
                returning d.webhook_id, u.http_status, u.at),
            latest as (
                select distinct on (webhook_id) webhook_id, http_status from d order by webhook_id, at desc)
            update webhooks w
               set last_triggered_at = now(), last_status_code = latest.http_status, failure_count = 0,
                   failing_since = null
              from latest
             where w.id = latest.webhook_id
               and (w.failure_count <> 0 or w.failing_since is not null
                    or w.last_status_code is distinct from latest.http_status
                    or w.last_triggered_at is null or w.last_triggered_at < now() - interval '1 second')
            """;

    private static final String FAILED = """
            update webhooks set last_triggered_at = now(), last_status_code = :httpStatus,
                                failure_count = failure_count + 1, failing_since = coalesce(failing_since, now())
             where id = :id
            returning enabled, failing_since <= now() - cast(:disableAfter as interval) as failing_too_long
            """;

    private static final String PAGE = "select " + Columns.DELIVERY + """
              from webhook_deliveries
             where webhook_id = :webhook
             order by created_at desc, id desc
             limit :limit
            """;

    private static final String PAGE_AFTER = "select " + Columns.DELIVERY + """
              from webhook_deliveries
             where webhook_id = :webhook and (created_at, id) < (:createdAt, :id)
             order by created_at desc, id desc
             limit :limit
            """;

    private static final String REDELIVER = """
            update webhook_deliveries
               set status = 'pending', max_attempts = attempts + 1, next_attempt_at = now(), error = null
             where id = :id and webhook_id = :webhook and status <> 'pending'
            returning\s""" + Columns.DELIVERY;

    private static final String FIND = "select " + Columns.DELIVERY + " from webhook_deliveries where id = :id and webhook_id = :webhook";

    private static final class Columns {
        static final String DELIVERY = """
                id, msg_id, event_id, event_type, status, attempts, http_status, latency_ms, response_excerpt, error,
                created_at, last_attempt_at, next_attempt_at
                """;
    }

    private final JdbcClient jdbc;
    private final JsonMapper json;

    WebhookDeliveryRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** What an attempt needs: the message, its state, and the webhook's current settings and secrets. */
    record Pending(UUID id, UUID webhookId, String msgId, String payload, String status, int attempts,
            int maxAttempts, Instant nextAttemptAt, String url, Map<String, String> headers, boolean webhookEnabled,
            byte[] secretEnc, byte[] previousSecretEnc) {}

    /** A message staged with its first attempt leased to this process until {@code leaseUntil}. */
    record Staged(Pending pending, Instant leaseUntil) {}

    /** One event to stage messages for, with its JSON body. */
    record EventMessage(UUID eventId, UUID deviceId, String type, String payload) {}

    /** The messages staged for the user's events (none if no webhook matches or all exist already). */
    List<Staged> stageForEvents(UUID userId, List<EventMessage> events, int maxAttempts, Duration lease,
            Integer leaseOwner) {
        Map<UUID, String> payloads = new HashMap<>();
        events.forEach(e -> payloads.put(e.eventId(), e.payload()));
        return jdbc.sql(STAGE_FOR_EVENTS)
                .param("user", userId)
                .param("events", events.stream().map(e -> e.eventId().toString()).toArray(String[]::new))
                .param("devices", events.stream()
                        .map(e -> e.deviceId() == null ? null : e.deviceId().toString()).toArray(String[]::new))
                .param("types", events.stream().map(EventMessage::type).toArray(String[]::new))
                .param("payloads", events.stream().map(EventMessage::payload).toArray(String[]::new))
                .param("maxAttempts", maxAttempts)
                .param("lease", lease.toMillis() + " milliseconds")
                .param("owner", leaseOwner, java.sql.Types.INTEGER)
                .query((rs, i) -> staged(rs, payloads.get(rs.getObject("event_id", UUID.class)), maxAttempts))
                .list();
    }

    private Staged staged(ResultSet rs, String payload, int maxAttempts) throws SQLException {
        return new Staged(new Pending(
                rs.getObject("id", UUID.class),
                rs.getObject("webhook_id", UUID.class),
                rs.getString("msg_id"),
                payload,
                "pending",
                0,
                maxAttempts,
                WebhookRepository.instant(rs, "next_attempt_at"),
                rs.getString("url"),
                headers(rs),
                true,
                rs.getBytes("secret_enc"),
                rs.getBytes("previous_secret_enc")),
                WebhookRepository.instant(rs, "lease_until"));
    }

    /** Ends the first-attempt leases of messages; those without one (recorded or handed over already) are left out. */
    List<UUID> releaseLeases(List<UUID> ids) {
        return jdbc.sql(RELEASE_LEASES)
                .param("ids", ids.stream().map(UUID::toString).toArray(String[]::new))
                .query((rs, i) -> rs.getObject("id", UUID.class))
                .list();
    }

    /** A message whose first-attempt lease ran out, across tenants, and its owner. */
    record Unattempted(UUID id, TenantContext owner) {}

    List<Unattempted> leaseExpired(int limit) {
        return jdbc.sql(LEASE_EXPIRED).param("limit", limit)
                .query((rs, i) -> new Unattempted(rs.getObject("id", UUID.class), new TenantContext(
                        rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class))))
                .list();
    }

    WebhookDelivery insertTest(UUID id, TenantContext owner, UUID webhookId, String payload) {
        return jdbc.sql(INSERT_TEST)
                .param("id", id)
                .param("tenant", owner.tenantId())
                .param("user", owner.userId())
                .param("webhook", webhookId)
                .param("msgId", msgId(id))
                .param("type", Webhook.TEST_EVENT)
                .param("payload", payload)
                .query(WebhookDeliveryRepository::delivery)
                .single();
    }

    Optional<Pending> forAttempt(UUID id) {
        return jdbc.sql(FOR_ATTEMPT).param("id", id).query((rs, i) -> new Pending(
                        rs.getObject("id", UUID.class),
                        rs.getObject("webhook_id", UUID.class),
                        rs.getString("msg_id"),
                        rs.getString("payload"),
                        rs.getString("status"),
                        rs.getInt("attempts"),
                        rs.getInt("max_attempts"),
                        WebhookRepository.instant(rs, "next_attempt_at"),
                        rs.getString("url"),
                        headers(rs),
                        rs.getBoolean("enabled"),
                        rs.getBytes("secret_enc"),
                        rs.getBytes("previous_secret_enc")))
                .optional();
    }

    void record(UUID id, String status, int attempt, Instant next, WebhookSender.Result result) {
        jdbc.sql(RECORD)
                .param("id", id)
                .param("attempt", attempt)
                .param("httpStatus", result.httpStatus(), java.sql.Types.INTEGER)
                .param("latency", (int) Math.min(Integer.MAX_VALUE, result.latencyMs()))
                .param("excerpt", result.excerpt(), java.sql.Types.VARCHAR)
                .param("status", status)
                .param("next", next == null ? null : OffsetDateTime.ofInstant(next, ZoneOffset.UTC),
                        java.sql.Types.TIMESTAMP_WITH_TIMEZONE)
                .param("error", result.error() == null ? null : truncate(result.error(), 512), java.sql.Types.VARCHAR)
                .update();
    }

    /** A successful attempt (number {@code attempt}) made at {@code at}. */
    record Success(UUID id, int attempt, Instant at, WebhookSender.Result result) {}

    /** Records successful attempts of the context user, and clears their webhooks' failure state, in one statement. */
    void recordSuccesses(List<Success> successes) {
        jdbc.sql(RECORD_SUCCESSES)
                .param("ids", successes.stream().map(x -> x.id().toString()).toArray(String[]::new))
                .param("attempts", successes.stream().map(x -> String.valueOf(x.attempt())).toArray(String[]::new))
                .param("statuses", successes.stream().map(x -> String.valueOf(x.result().httpStatus())).toArray(String[]::new))
                .param("latencies", successes.stream()
                        .map(x -> String.valueOf(Math.min(Integer.MAX_VALUE, x.result().latencyMs()))).toArray(String[]::new))
                .param("excerpts", successes.stream().map(x -> x.result().excerpt()).toArray(String[]::new))
                .param("ats", successes.stream().map(x -> x.at().toString()).toArray(String[]::new))
                .update();
    }

    void abandon(UUID id, String error) {
        jdbc.sql(ABANDON).param("id", id).param("error", error).update();
    }

    /** The webhook's state after a failed attempt. */
    record FailureState(boolean enabled, boolean failingTooLong) {}

    /** Counts a failed attempt against the webhook; empty if the webhook is gone. */
    Optional<FailureState> webhookFailed(UUID webhookId, Integer httpStatus, Duration disableAfter) {
        return jdbc.sql(FAILED)
                .param("id", webhookId)
                .param("httpStatus", httpStatus, java.sql.Types.INTEGER)
                .param("disableAfter", disableAfter.toMillis() + " milliseconds")
                .query((rs, i) -> new FailureState(rs.getBoolean("enabled"), rs.getBoolean("failing_too_long")))
                .optional();
    }

    List<WebhookDelivery> page(UUID webhookId, KeysetCursor after, int limit) {
        JdbcClient.StatementSpec sql = after == null
                ? jdbc.sql(PAGE)
                : jdbc.sql(PAGE_AFTER)
                        .param("createdAt", OffsetDateTime.ofInstant(after.createdAt(), ZoneOffset.UTC))
                        .param("id", after.id());
        return sql.param("webhook", webhookId).param("limit", limit).query(WebhookDeliveryRepository::delivery).list();
    }

    Optional<WebhookDelivery> find(UUID webhookId, UUID id) {
        return jdbc.sql(FIND).param("webhook", webhookId).param("id", id).query(WebhookDeliveryRepository::delivery)
                .optional();
    }

    /** Re-opens a finished delivery for one more attempt; empty if it is unknown or still pending. */
    Optional<WebhookDelivery> reopen(UUID webhookId, UUID id) {
        return jdbc.sql(REDELIVER).param("webhook", webhookId).param("id", id)
                .query(WebhookDeliveryRepository::delivery)
                .optional();
    }

    private Map<String, String> headers(ResultSet rs) throws SQLException {
        return json.readValue(rs.getString("headers"), new TypeReference<Map<String, String>>() {});
    }

    static String msgId(UUID deliveryId) {
        return "msg_" + deliveryId.toString().replace("-", "");
    }

    private static WebhookDelivery delivery(ResultSet rs, int row) throws SQLException {
        return new WebhookDelivery(
                rs.getObject("id", UUID.class),
                rs.getString("msg_id"),
                rs.getObject("event_id", UUID.class),
                rs.getString("event_type"),
                rs.getString("status"),
                rs.getInt("attempts"),
                rs.getObject("http_status", Integer.class),
                rs.getObject("latency_ms", Integer.class),
                rs.getString("response_excerpt"),
                rs.getString("error"),
                WebhookRepository.instant(rs, "created_at"),
                WebhookRepository.instant(rs, "last_attempt_at"),
                WebhookRepository.instant(rs, "next_attempt_at"));
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }
}
