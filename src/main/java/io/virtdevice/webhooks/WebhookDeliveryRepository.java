package io.virtdevice.webhooks;

import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.KeysetCursor;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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

    // One statement finds the matching webhooks and stages a message for each; the unique
    // (webhook_id, event_id) makes a repeated dispatch stage nothing new.
    private static final String STAGE_FOR_EVENT = """
            insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type, payload,
                                            max_attempts, next_attempt_at)
            select m.id, m.tenant_id, m.user_id, m.webhook_id, :event, 'msg_' || replace(m.id::text, '-', ''), :type,
                   :payload, :maxAttempts, now()
              from (select gen_random_uuid() as id, w.tenant_id, w.user_id, w.id as webhook_id
                      from webhooks w
                     where w.user_id = :user and w.enabled and :type = any (w.events)
                       and (w.device_id is null or w.device_id = :device)) m
            on conflict (webhook_id, event_id) do nothing
            returning id
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
                   http_status = :httpStatus, latency_ms = :latency, response_excerpt = :excerpt, error = :error
             where id = :id
            """;

    private static final String ABANDON = """
            update webhook_deliveries set status = 'failed', next_attempt_at = null, error = :error
             where id = :id and status = 'pending'
            """;

    // Only when something changes (or once a second): a busy webhook's row would otherwise be updated,
    // and row-locked, by every single delivery.
    private static final String SUCCEEDED = """
            update webhooks set last_triggered_at = now(), last_status_code = :httpStatus, failure_count = 0,
                                failing_since = null
             where id = :id
               and (failure_count <> 0 or failing_since is not null or last_status_code is distinct from :httpStatus
                    or last_triggered_at is null or last_triggered_at < now() - interval '1 second')
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

    /** The ids of the deliveries staged for the event (none if no webhook matches or all exist already). */
    List<UUID> stageForEvent(UUID userId, UUID eventId, UUID deviceId, String type, String payload, int maxAttempts) {
        return jdbc.sql(STAGE_FOR_EVENT)
                .param("user", userId)
                .param("event", eventId)
                .param("device", deviceId)
                .param("type", type)
                .param("payload", payload)
                .param("maxAttempts", maxAttempts)
                .query((rs, i) -> rs.getObject("id", UUID.class))
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
                        json.readValue(rs.getString("headers"), new TypeReference<Map<String, String>>() {}),
                        rs.getBoolean("enabled"),
                        rs.getBytes("secret_enc"),
                        rs.getBytes("previous_secret_enc")))
                .optional();
    }

    void record(UUID id, String status, int attempt, Instant next, WebhookSender.Result result) {
        jdbc.sql(RECORD)
                .param("id", id)
                .param("status", status)
                .param("attempt", attempt)
                .param("next", next == null ? null : OffsetDateTime.ofInstant(next, ZoneOffset.UTC),
                        java.sql.Types.TIMESTAMP_WITH_TIMEZONE)
                .param("httpStatus", result.httpStatus(), java.sql.Types.INTEGER)
                .param("latency", (int) Math.min(Integer.MAX_VALUE, result.latencyMs()))
                .param("excerpt", result.excerpt(), java.sql.Types.VARCHAR)
                .param("error", result.error() == null ? null : truncate(result.error(), 512), java.sql.Types.VARCHAR)
                .update();
    }

    void abandon(UUID id, String error) {
        jdbc.sql(ABANDON).param("id", id).param("error", error).update();
    }

    void webhookSucceeded(UUID webhookId, int httpStatus) {
        jdbc.sql(SUCCEEDED).param("id", webhookId).param("httpStatus", httpStatus).update();
    }

    /** The webhook's state after a failed attempt. */
    record FailureState(boolean enabled, boolean failingTooLong) {}

    /** Counts a failed attempt against the webhook; empty if the webhook is gone. */
    Optional<FailureState> webhookFailed(UUID webhookId, Integer httpStatus, java.time.Duration disableAfter) {
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
