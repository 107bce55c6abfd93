package io.virtdevice.alexa;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.virtdevice.platform.jobs.LeaseOwner;
import io.virtdevice.platform.jobs.LeasedAttempts;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends the outbox's events to the users' regional Event Gateways (spec §7), mirroring the webhooks' first
 * attempts: a row staged as its endpoint's only pending one is leased to the staging process, which attempts
 * it as soon as the dispatch transaction commits (no poll between a change and its report). When a row is
 * finished, the same transaction leases its endpoint's next row, which is attempted at once: rows of one
 * endpoint go out one after the other, in order. Retries (429, 5xx, network errors, with jittered backoff) and
 * rows a dead process left behind (its {@link LeaseOwner} lock is gone) or that waited behind others are
 * claimed by every instance's poll ({@code app.claim_alexa_events}, {@code SKIP LOCKED}: one instance each).
 *
 * <p>Per answer: 202 sent; 429/5xx/no answer retried until the last retry delay, then failed; 401 (or
 * {@code INVALID_ACCESS_TOKEN_EXCEPTION}) refreshes the token through {@link AlexaLinks} and retries once,
 * and a second refusal marks the link unauthorized; 403 {@code SKILL_DISABLED_EXCEPTION} re-reads the link
 * (if its region changed meanwhile the event is sent there) and otherwise marks it revoked; anything else
 * (400, other 403s, 404, 413) fails without retry and is logged. A ChangeReport whose latest change is older
 * than {@code change-report-ttl}, a DoorbellPress older than {@code doorbell-press-ttl}, expires unsent.
 *
 * <p>Each event is sent at least once; twice only if the process dies between the gateway's answer and its
 * record.
 */
@Component
class AlexaEventSender implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(AlexaEventSender.class);
    static final int CLAIM_BATCH = 200;
    /** The outcome of a DeleteReport whose user's link is revoked or unauthorized: kept, shown, counted. */
    static final String DROPPED = "dropped";
    /** The outcome of a DeleteReport whose user has no link at all: deleted, counted. */
    static final String UNLINKED = "unlinked";

    private final AlexaEventOutbox outbox;
    private final AlexaGateway gateway;
    private final ObjectProvider<AlexaLinks> links;
    private final AlexaEventSettings settings;
    private final LeaseOwner leaseOwner;
    private final TransactionTemplate tx;
    private final TransactionTemplate readTx;
    private final TransactionTemplate recordTx;
    private final MeterRegistry meters;
    private final AlexaFairShare fairShare;
    private final Semaphore permits;
    // staged during start-up (the relay) waits for start without a limit: deletions and changes are few then
    private final LeasedAttempts attempts = new LeasedAttempts("alexa-event-", "alexa-event-poll", Integer.MAX_VALUE);

    AlexaEventSender(AlexaEventOutbox outbox, AlexaGateway gateway, ObjectProvider<AlexaLinks> links,
            AlexaEventSettings settings, LeaseOwner leaseOwner, PlatformTransactionManager transactions,
            MeterRegistry meters, AlexaFairShare fairShare) {
        this.fairShare = fairShare;
        this.outbox = outbox;
        this.gateway = gateway;
        this.links = links;
        this.settings = settings;
        this.leaseOwner = leaseOwner;
        this.tx = new TransactionTemplate(transactions);
        this.readTx = new TransactionTemplate(transactions);
        this.readTx.setReadOnly(true);
        // a record lost with the database's last fraction of a second leaves the lease: the event is sent again
        this.recordTx = TenantScopedTransactionManager.asynchronousCommit(transactions);
        this.meters = meters;
        this.permits = new Semaphore(settings.concurrency());
    }

    /**
     * Attempts the rows just staged once the current (dispatch) transaction has committed; nothing if it rolls
     * back. The rows are handed over as staged: their first attempt reads nothing back.
     */
    void afterCommit(TenantContext owner, List<AlexaEventOutbox.Row> rows) {
        attempts.afterCommit(rows, row -> () -> run(owner, row.id(), row), null);
    }

    /** {@code row} is the row as staged, or null to read it first; after stop, the lease hands it on. */
    private void submit(TenantContext owner, UUID id, AlexaEventOutbox.Row row) {
        attempts.submit(() -> run(owner, id, row), null);
    }

    private void run(TenantContext owner, UUID id, AlexaEventOutbox.Row staged) {
        try {
            TenantScope.run(owner, () -> {
                if (staged != null) {
                    attempt(owner, staged);
                } else {
                    Optional<AlexaEventOutbox.Row> found = readTx.execute(s -> outbox.forAttempt(id));
                    if (found != null && found.isPresent()) {
                        attempt(owner, found.get());
                    }
                }
            });
        } catch (RuntimeException e) {
            // e.g. the database went away: the row keeps its lease and is claimed again when it ends
            log.warn("Alexa event {}: attempt not recorded ({}); it is retried when its lease ends", id, e.toString());
        }
    }

    /**
     * One attempt of a row leased to this process, under its owner's context: sent, scheduled for a retry, or
     * finished as failed or expired; then the endpoint's next row is leased and attempted. Null if the row
     * was finished meanwhile.
     */
    AlexaEventOutbox.Outcome attempt(TenantContext owner, AlexaEventOutbox.Row row) {
        if (!"pending".equals(row.status())) {
            return null;
        }
        int attempts = row.attempts() + 1;
        Instant now = Instant.now();
        if (expired(row, now)) {
            return finish(owner, row, new AlexaEventOutbox.Outcome("expired", row.attempts(), null, null, null, null,
                    null, "older than " + ttl(row.kind()).toSeconds() + " s when its turn came", null));
        }
        Optional<Instant> heldUntil = fairShare.hold(owner, row, now);
        if (heldUntil.isPresent()) {
            // not its turn: the row waits (coalescing later changes) and the poll claims it when due
            recordTx.executeWithoutResult(s -> outbox.delay(row.id(), heldUntil.get()));
            return null;
        }
        AlexaLinks linked = links.getIfAvailable();
        Optional<LwaToken> token = linked == null ? Optional.empty() : linked.token(owner);
        if (token.isEmpty() && AlexaEventMessages.DELETE_REPORT.equals(row.kind())) {
            return dropDeleteReport(linked, owner, row);
        }
        if (token.isEmpty()) {
            return finish(owner, row, new AlexaEventOutbox.Outcome("failed", row.attempts(), null, null, null, null,
                    "LINK_INACTIVE", "no active Alexa link (never linked, revoked or unauthorized)", null));
        }
        Sent sent = send(linked, owner, row, token.get());
        AlexaGateway.Answer answer = sent.answer();
        String status;
        Instant next = null;
        if (answer.accepted()) {
            status = "sent";
        } else if (answer.transientFailure() && !row.test() && attempts < settings.maxAttempts()) {
            status = "pending";
            next = Instant.now().plus(delayAfter(attempts));
        } else {
            status = "failed";
        }
        if (!answer.accepted()) {
            log.warn("Alexa {} for endpoint {} (attempt {}): {}{}", row.kind(), row.endpointId(), attempts,
                    answer.error(), "pending".equals(status) ? ", retried at " + next : "");
        }
        return finish(owner, row, new AlexaEventOutbox.Outcome(status, attempts, next, sent.region().name(),
                sent.messageId(), answer.status(), answer.code(), answer.error(), answer.latencyMs()));
    }

    /**
     * A DeleteReport there is no token to send with: Alexa keeps listing the device until the user removes it
     * there. A user whose link is revoked or unauthorized sees it: the row is finished as {@value #DROPPED}
     * (not failed: nothing is wrong with routines) and counted in the diagnostics. A user with no link at all
     * (never linked, or a deleted user whose kept link ran out) has nobody to show it to: the row goes, and only
     * the metric ({@value #UNLINKED}) counts it.
     */
    private AlexaEventOutbox.Outcome dropDeleteReport(AlexaLinks linked, TenantContext owner,
            AlexaEventOutbox.Row row) {
        if (linked != null && linked.state(owner).isPresent()) {
            return finish(owner, row, new AlexaEventOutbox.Outcome(DROPPED, row.attempts(), null, null, null, null,
                    "LINK_INACTIVE", "no active Alexa link to send it with: Alexa was not told the device is gone",
                    null));
        }
        tx.executeWithoutResult(s -> outbox.discard(row.id()));
        count(row, UNLINKED);
        return null;
    }

    private record Sent(AlexaGateway.Answer answer, AlexaRegion region, String messageId) {}

    /** Sends the row; a 401 refreshes and sends once more, a 403 SKILL_DISABLED re-checks the region. */
    private Sent send(AlexaLinks linked, TenantContext owner, AlexaEventOutbox.Row row, LwaToken token) {
        Sent sent = post(row, token);
        if (sent.answer().invalidToken()) {
            Optional<LwaToken> refreshed = linked.refreshAfterRejection(owner, token.accessToken());
            if (refreshed.isEmpty()) {
                return sent; // the link is marked by AlexaLinks
            }
            token = refreshed.get();
            sent = post(row, token);
            if (sent.answer().invalidToken()) {
                linked.markUnauthorized(owner, "the Event Gateway refused a freshly refreshed token ("
                        + sent.answer().error() + ")");
                return sent;
            }
        }
        if (sent.answer().skillDisabled()) {
            Optional<LwaToken> current = linked.token(owner);
            if (current.isPresent() && current.get().region() != token.region()) {
                log.info("Alexa: SKILL_DISABLED_EXCEPTION from the {} gateway, the link is now in {}: sent there",
                        token.region(), current.get().region());
                token = current.get();
                sent = post(row, token);
            }
            if (sent.answer().skillDisabled()) {
                linked.markRevoked(owner, "SKILL_DISABLED_EXCEPTION from the " + token.region()
                        + " Event Gateway: the skill was disabled or unlinked");
            }
        }
        return sent;
    }

    private Sent post(AlexaEventOutbox.Row row, LwaToken token) {
        String messageId = AlexaEventMessages.messageId();
        ObjectNode message = AlexaEventMessages.message(row.kind(), row.endpointId(), row.cause(), row.body(),
                row.changed(), token.accessToken(), messageId);
        AlexaGateway.Answer answer;
        // the permit bounds requests in flight, not the recording around them
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Sent(new AlexaGateway.Answer(null, null, "interrupted", 0), token.region(), messageId);
        }
        try {
            answer = gateway.post(token.region(), token.accessToken(), message);
        } finally {
            permits.release();
        }
        Timer.builder("virtdevice.alexa.gateway.requests")
                .description("Requests to the Alexa Event Gateway")
                .tag("region", token.region().name())
                .tag("status", answer.status() == null ? "none" : answer.status().toString())
                .register(meters)
                .record(Duration.ofMillis(answer.latencyMs()));
        return new Sent(answer, token.region(), messageId);
    }

    /** Records the outcome; when the row is done, prunes the endpoint's history and attempts its next row. */
    private AlexaEventOutbox.Outcome finish(TenantContext owner, AlexaEventOutbox.Row row,
            AlexaEventOutbox.Outcome outcome) {
        Optional<UUID> next = recordTx.execute(s -> outbox.finish(owner.userId(), row, outcome,
                settings.historyPerEndpoint(), settings.lease(), leaseOwner.id()));
        count(row, "pending".equals(outcome.status()) ? "retry" : outcome.status());
        if ("sent".equals(outcome.status()) && !row.test()) {
            Timer.builder("virtdevice.alexa.events.delay")
                    .description("From the latest change an event carries to the gateway's 202")
                    .tag("kind", row.kind())
                    .publishPercentiles(0.5, 0.99)
                    .register(meters)
                    .record(Duration.between(row.lastChangeAt(), Instant.now()));
        }
        if (next != null) {
            next.ifPresent(id -> submit(owner, id, null));
        }
        return outcome;
    }

    private void count(AlexaEventOutbox.Row row, String outcome) {
        Counter.builder("virtdevice.alexa.events")
                .description("Alexa proactive events by outcome (sent, retry, failed, expired, dropped, unlinked)")
                .tag("kind", row.kind())
                .tag("outcome", outcome)
                .register(meters)
                .increment();
    }

    private boolean expired(AlexaEventOutbox.Row row, Instant now) {
        Instant from = AlexaEventMessages.DOORBELL_PRESS.equals(row.kind()) ? row.firstChangeAt() : row.lastChangeAt();
        return !row.test() && from.plus(ttl(row.kind())).isBefore(now);
    }

    private Duration ttl(String kind) {
        return AlexaEventMessages.DOORBELL_PRESS.equals(kind) ? settings.doorbellPressTtl() : settings.changeReportTtl();
    }

    /** The wait after failed attempt {@code attempt}: its configured delay ±20 %. */
    Duration delayAfter(int attempt) {
        List<Duration> delays = settings.retryDelays();
        Duration base = delays.get(Math.min(attempt, delays.size()) - 1);
        return Duration.ofMillis((long) (base.toMillis() * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
    }

    /** Claims what is due (retries, rows left behind or waiting) and attempts it. */
    private void poll() {
        try {
            leaseOwner.check();
            List<AlexaEventOutbox.Claimed> claimed;
            do {
                claimed = TenantScope.callWithoutContext(
                        () -> tx.execute(s -> outbox.claimDue(leaseOwner.id(), settings.lease(), CLAIM_BATCH)));
                claimed.forEach(c -> submit(c.owner(), c.id(), null));
            } while (claimed.size() == CLAIM_BATCH && attempts.running());
        } catch (RuntimeException e) {
            log.warn("Alexa event poll failed ({}); trying again in {}", e.toString(), settings.pollInterval());
        }
    }

    @Override
    public void start() {
        attempts.start(this::poll, settings.pollInterval());
    }

    @Override
    public void stop() {
        attempts.stop(settings.timeout().plusSeconds(2));
    }

    @Override
    public boolean isRunning() {
        return attempts.running();
    }

    /** Stops after the change-event dispatcher (which stages), before the database goes. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 1;
    }
}
