package io.virtdevice.ifttt;

import io.virtdevice.limits.RateLimiter;
import io.virtdevice.platform.tenancy.TenantScope;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends the staged realtime notices to IFTTT (shared/spec/ifttt.md §6): every poll interval each instance
 * claims due notices (a lease, {@code SKIP LOCKED}: several instances never send one twice at once), posts
 * them in batches of at most {@code realtime-batch-size} trigger identities with the service key, and
 * deletes them once IFTTT answered 2xx, except a notice that absorbed a change while it was in flight: IFTTT
 * may have polled before that change, so it waits again for it. Any other outcome (an outage, 429, 5xx, a
 * timeout) moves them to the next retry delay: they wait, they are never dropped. Before a batch goes out each notice takes a unit of
 * its user's fair share of the service's realtime budget ({@link RealtimeFairShare}); a user's notices past it
 * are held (their lease ends, their {@code due_at} moves to the next unit, {@code delayed} counts up) and keep
 * absorbing later changes of their identity, while the other users' notices of the batch go out. Off while
 * no service key is configured (notices then wait for an instance that has one). Never on a device's write
 * path.
 */
@Component
class RealtimeSender implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RealtimeSender.class);

    private static final String CLAIM = "select id, trigger_identity, user_id, coalesced "
            + "from app.claim_ifttt_realtime_notices_shared(:limit, cast(:lease as interval))";
    private static final String HELD = "select app.ifttt_realtime_held(:ids, cast(:wait as interval))";
    // a notice that absorbed a change while it was being sent waits again, for that change (V024)
    private static final String DELIVERED =
            "select app.ifttt_realtime_delivered_as_claimed(:ids, :coalesced, cast(:debounce as interval))";
    private static final String FAILED = "select app.ifttt_realtime_failed(:ids, cast(:delays as interval[]), :error)";

    private record Notice(UUID id, String identity, UUID userId, int coalesced) {}

    private final IftttSettings settings;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final JsonMapper json;
    private final RealtimeFairShare fairShare;
    private final HttpClient http;
    private final String lease;
    private final String delays;
    private final String debounce;
    private volatile ScheduledExecutorService executor;

    RealtimeSender(IftttSettings settings, JdbcClient jdbc, PlatformTransactionManager transactions, JsonMapper json,
            RealtimeFairShare fairShare) {
        this.settings = settings;
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
        this.json = json;
        this.fairShare = fairShare;
        this.http = HttpClient.newBuilder().connectTimeout(settings.realtimeTimeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.lease = settings.realtimeTimeout().plusSeconds(30).toMillis() + " milliseconds";
        this.debounce = settings.realtimeDebounce().toMillis() + " milliseconds";
        this.delays = settings.realtimeRetryDelays().stream().map(d -> "\"" + d.toMillis() + " milliseconds\"")
                .collect(Collectors.joining(",", "{", "}"));
    }

    @Override
    public void start() {
        if (!settings.serviceKeyConfigured()) {
            log.info("IFTTT realtime notifications are off: virtdevice.ifttt.service-key is not set");
            return;
        }
        executor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("ifttt-realtime").daemon()
                .factory());
        long every = settings.realtimePollInterval().toMillis();
        executor.scheduleWithFixedDelay(this::drain, every, every, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        ScheduledExecutorService running = executor;
        executor = null;
        if (running != null) {
            running.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return executor != null;
    }

    /** Sends everything due, a batch at a time. */
    void drain() {
        try {
            List<Notice> batch;
            do {
                batch = claim();
                List<Notice> admitted = admit(batch);
                if (!admitted.isEmpty()) {
                    send(admitted);
                }
            } while (batch.size() == settings.realtimeBatchSize() && executor != null);
        } catch (RuntimeException e) {
            log.warn("IFTTT realtime notifications could not be processed; retrying", e);
        }
    }

    private List<Notice> claim() {
        return TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql(CLAIM)
                .param("limit", settings.realtimeBatchSize())
                .param("lease", lease)
                .query((rs, i) -> new Notice(rs.getObject(1, UUID.class), rs.getString(2), rs.getObject(3, UUID.class),
                        rs.getInt(4)))
                .list()));
    }

    /**
     * The notices of the batch within their users' fair shares (one bucket round trip per user and batch);
     * each user's notices past their share are held until it has units again (one statement per such user).
     */
    private List<Notice> admit(List<Notice> batch) {
        Map<UUID, List<Notice>> byUser = new LinkedHashMap<>();
        batch.forEach(n -> byUser.computeIfAbsent(n.userId(), u -> new ArrayList<>()).add(n));
        List<Notice> admitted = new ArrayList<>(batch.size());
        byUser.forEach((user, notices) -> {
            RateLimiter.Taken taken = fairShare.admit(user, notices.size());
            int go = (int) taken.units();
            admitted.addAll(notices.subList(0, go));
            if (go < notices.size()) {
                UUID[] held = notices.subList(go, notices.size()).stream().map(Notice::id).toArray(UUID[]::new);
                TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql(HELD).param("ids", held)
                        .param("wait", taken.retryIn().toMillis() + " milliseconds").query(Integer.class).single()));
            }
        });
        return admitted;
    }

    /**
     * Posts the body; a connection that fails before any answer (typically a kept-alive connection the other
     * side closed meanwhile) is tried once more at once, a timeout is not.
     */
    private HttpResponse<String> post(String body) throws java.io.IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(settings.realtimeUrl())
                .timeout(settings.realtimeTimeout())
                .header(ServiceKey.HEADER, settings.serviceKey())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .header("X-Request-ID", UUID.randomUUID().toString().replace("-", ""))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (java.net.http.HttpTimeoutException e) {
            throw e;
        } catch (java.io.IOException e) {
            return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        }
    }

    private void send(List<Notice> batch) {
        UUID[] ids = batch.stream().map(Notice::id).toArray(UUID[]::new);
        String body = json.writeValueAsString(Map.of("data",
                batch.stream().map(n -> Map.of("trigger_identity", n.identity())).toList()));
        String failure;
        try {
            HttpResponse<String> response = post(body);
            if (response.statusCode() / 100 == 2) {
                Integer[] coalesced = batch.stream().map(Notice::coalesced).toArray(Integer[]::new);
                TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql(DELIVERED).param("ids", ids)
                        .param("coalesced", coalesced).param("debounce", debounce).query(Integer.class).single()));
                fairShare.coalesced(batch.stream().mapToLong(Notice::coalesced).sum());
                return;
            }
            String text = response.body() == null ? "" : response.body();
            failure = "HTTP " + response.statusCode() + ": " + text.substring(0, Math.min(text.length(), 300));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        } catch (java.io.IOException | RuntimeException e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        log.warn("IFTTT realtime notification of {} trigger identities failed ({}); retrying later", ids.length, failure);
        String error = failure;
        TenantScope.callWithoutContext(() -> tx.execute(s -> jdbc.sql(FAILED).param("ids", ids).param("delays", delays)
                .param("error", error).query(Integer.class).single()));
    }
}
