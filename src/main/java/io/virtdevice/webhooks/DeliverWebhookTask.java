package io.virtdevice.webhooks;

import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.DeadExecutionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionContext;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.crypto.SecretBox;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.io.Serial;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@code webhooks.deliver}: one attempt of one message, then either done or rescheduled (same task
 * instance, next attempt number) for the next retry. The delivery row is the source of truth: an attempt
 * whose number was already recorded (the instance died between recording and rescheduling) is not sent
 * again, so each attempt goes out once, whichever instance runs it. No database connection is held while
 * the request is in flight.
 *
 * <p>2xx succeeds; 410 disables the webhook; anything else (3xx, 4xx, 5xx, timeouts, refused addresses)
 * is retried after the configured delay with ±10% jitter, or after {@code Retry-After} if that is longer;
 * when the last attempt fails, or every attempt of the webhook has failed for
 * {@code virtdevice.webhooks.disable-after}, the message fails and (in the second case) the webhook is
 * disabled and {@code webhook_disabled} is logged.
 */
@Component
class DeliverWebhookTask extends CustomTask<DeliverWebhookTask.Job> {

    static final String NAME = "webhooks.deliver";

    private static final Logger log = LoggerFactory.getLogger(DeliverWebhookTask.class);

    private final WebhookDeliveryRepository deliveries;
    private final WebhookRepository webhooks;
    private final WebhookSender sender;
    private final SecretBox box;
    private final ActivityLog activity;
    private final WebhookMails mails;
    private final WebhookSettings settings;
    private final TransactionTemplate tx;
    private final TransactionTemplate readTx;

    /**
     * @param attempt the attempt this execution makes (1 = the first)
     * @param manual a redelivery or test message asked for by the user: sent even to a disabled webhook,
     *     and never disables it for failing
     */
    record Job(UUID tenantId, UUID userId, UUID deliveryId, int attempt, boolean manual) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        TenantContext owner() {
            return new TenantContext(tenantId, userId);
        }

        Job withAttempt(int next) {
            return new Job(tenantId, userId, deliveryId, next, manual);
        }
    }

    DeliverWebhookTask(WebhookDeliveryRepository deliveries, WebhookRepository webhooks, WebhookSender sender,
            SecretBox box, ActivityLog activity, WebhookMails mails, WebhookSettings settings,
            PlatformTransactionManager transactionManager) {
        super(NAME, Job.class, null, Function.identity(),
                new FailureHandler.ExponentialBackoffFailureHandler<>(Duration.ofSeconds(5), 2.0),
                new DeadExecutionHandler.ReviveDeadExecution<>());
        this.deliveries = deliveries;
        this.webhooks = webhooks;
        this.sender = sender;
        this.box = box;
        this.activity = activity;
        this.mails = mails;
        this.settings = settings;
        this.tx = new TransactionTemplate(transactionManager);
        this.readTx = new TransactionTemplate(transactionManager);
        this.readTx.setReadOnly(true);
    }

    /** The instance id of a message's first automatic attempt; redeliveries add their attempt number. */
    static String instanceId(UUID deliveryId) {
        return deliveryId.toString();
    }

    @Override
    public CompletionHandler<Job> execute(TaskInstance<Job> instance, ExecutionContext context) {
        Job job = instance.getData();
        return TenantScope.call(job.owner(), () -> attempt(job));
    }

    private CompletionHandler<Job> attempt(Job job) {
        Optional<WebhookDeliveryRepository.Pending> found = readTx.execute(s -> deliveries.forAttempt(job.deliveryId()));
        if (found == null || found.isEmpty()) {
            return done(); // the webhook (or its owner) was deleted
        }
        WebhookDeliveryRepository.Pending pending = found.get();
        if (!"pending".equals(pending.status())) {
            return done();
        }
        if (pending.attempts() >= job.attempt()) {
            // Recorded before the instance that made it died: continue the schedule, do not send again.
            return pending.nextAttemptAt() == null
                    ? done()
                    : reschedule(pending.nextAttemptAt(), job.withAttempt(pending.attempts() + 1));
        }
        if (!pending.webhookEnabled() && !job.manual()) {
            tx.executeWithoutResult(s -> deliveries.abandon(pending.id(), "webhook is disabled"));
            return done();
        }
        Instant next = record(job, pending, post(pending), retry -> {});
        return next == null ? done() : reschedule(next, job.withAttempt(pending.attempts() + 2));
    }

    /** Sends the message once, signed with the webhook's secrets; nothing is recorded. */
    WebhookSender.Result post(WebhookDeliveryRepository.Pending pending) {
        List<WebhookSecret> secrets;
        try {
            secrets = secrets(pending);
        } catch (IllegalStateException e) {
            log.warn("webhook {}: signing secret cannot be opened ({})", pending.webhookId(), e.getMessage());
            // A secret that does not open (master key changed or lost) counts as a failed attempt, so the
            // webhook is eventually disabled instead of the task retrying forever.
            return WebhookSender.Result.refused("signing secret cannot be opened (was the master key changed?)");
        }
        return sender.send(URI.create(pending.url()), pending.headers(), pending.msgId(), pending.payload(), secrets);
    }

    /**
     * Records attempt {@code pending.attempts() + 1} with its outcome in one transaction. Returns the time of
     * the next attempt, or null when the message is finished; the same time goes to {@code retry} inside the
     * transaction, so whoever runs the retry can be scheduled atomically with the record.
     */
    Instant record(Job job, WebhookDeliveryRepository.Pending pending, WebhookSender.Result outcome,
            Consumer<Instant> retry) {
        int attempt = pending.attempts() + 1;
        return tx.execute(s -> {
            Instant next = record(job, pending, attempt, outcome);
            if (next != null) {
                retry.accept(next);
            }
            return next;
        });
    }

    /** Records the attempt; the time of the next one, or null when the message is finished. */
    private Instant record(Job job, WebhookDeliveryRepository.Pending pending, int attempt,
            WebhookSender.Result result) {
        if (result.delivered()) {
            deliveries.recordSuccesses(
                    List.of(new WebhookDeliveryRepository.Success(pending.id(), attempt, Instant.now(), result)));
            return null;
        }
        Optional<WebhookDeliveryRepository.FailureState> state =
                deliveries.webhookFailed(pending.webhookId(), result.httpStatus(), settings.disableAfter());
        if (result.gone()) {
            disable(pending, "gone", result);
            deliveries.record(pending.id(), "failed", attempt, null, result);
            return null;
        }
        if (!job.manual() && state.isPresent() && state.get().enabled() && state.get().failingTooLong()) {
            disable(pending, "failing", result);
            deliveries.record(pending.id(), "failed", attempt, null, result);
            return null;
        }
        if (attempt >= pending.maxAttempts()) {
            deliveries.record(pending.id(), "failed", attempt, null, result);
            return null;
        }
        Instant next = Instant.now().plus(delayAfter(attempt, result.retryAfter()));
        deliveries.record(pending.id(), "pending", attempt, next, result);
        return next;
    }

    /** The wait after failed attempt {@code attempt}: its configured delay ±10%, or a longer Retry-After. */
    Duration delayAfter(int attempt, Duration retryAfter) {
        List<Duration> delays = settings.retryDelays();
        Duration base = delays.get(Math.min(attempt, delays.size()) - 1);
        Duration delay = Duration.ofMillis((long) (base.toMillis() * (0.9 + 0.2 * ThreadLocalRandom.current().nextDouble())));
        return retryAfter != null && retryAfter.compareTo(delay) > 0 ? retryAfter : delay;
    }

    private void disable(WebhookDeliveryRepository.Pending pending, String reason, WebhookSender.Result last) {
        webhooks.disable(pending.webhookId(), reason).ifPresent(disabled -> {
            log.info("webhook {} disabled ({})", pending.webhookId(), reason);
            activity.record(ActivityAction.WEBHOOK_DISABLED, "system", null, Map.of(
                    "webhookId", pending.webhookId(), "reason", reason,
                    "host", WebhookManagement.host(disabled.url())));
            if (disabled.ownerEmail() != null) {
                mails.disabled(disabled.ownerEmail(), pending.webhookId(), disabled.url(), reason, last.httpStatus(),
                        last.error(), settings.disableAfter());
            }
        });
    }

    private List<WebhookSecret> secrets(WebhookDeliveryRepository.Pending pending) {
        String context = WebhookManagement.secretContext(pending.webhookId());
        List<WebhookSecret> secrets = new ArrayList<>();
        secrets.add(WebhookSecret.of(box.open(pending.secretEnc(), context)));
        if (pending.previousSecretEnc() != null) {
            secrets.add(WebhookSecret.of(box.open(pending.previousSecretEnc(), context)));
        }
        return secrets;
    }

    private static CompletionHandler<Job> done() {
        return new CompletionHandler.OnCompleteRemove<>();
    }

    private static CompletionHandler<Job> reschedule(Instant next, Job data) {
        return (complete, operations) -> operations.reschedule(complete, next, data);
    }
}
