package io.virtdevice.alexa;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.limits.Decision;
import io.virtdevice.limits.Quota;
import io.virtdevice.limits.RateLimit;
import io.virtdevice.limits.RateLimiter;
import io.virtdevice.platform.tenancy.TenantContext;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * Each user's fair share of the skill's Event Gateway budget (issue 16 item 3): before an event's attempt,
 * its user's bucket (their plan's {@code alexa-events} limit) and then the skill's
 * ({@code virtdevice.alexa.fair-share.skill-rate}) each give one unit, in the shared buckets of the limits module (so the budget holds
 * across instances). An event that finds its user's share (or the skill's budget) spent is not dropped: it is
 * held until the next unit (plus jitter, so a noisy user's endpoints do not all wake at once), and meanwhile
 * later changes of its endpoint coalesce into it (latest state wins; DoorbellPress and DETECTED edges are
 * never merged, and expire only after their validity). A user whose share is spent slows only themselves:
 * the skill's budget is taken only after the user's share allowed the event.
 *
 * <p>Counted in {@code virtdevice.alexa.events.delayed} (tag {@code reason}: {@code user-share},
 * {@code skill-budget}) and {@code virtdevice.alexa.events.coalesced}; each event's own count of holds is its
 * {@code delayed} in the diagnostics ({@code /api/v1/devices/{id}/alexa/events}).
 */
@Component
class AlexaFairShare {

    /**
     * @param skillRate the whole skill's budget, or null for none (Amazon publishes no number; set one when
     *     the gateway starts answering 429 THROTTLING_EXCEPTION)
     */
    @ConfigurationProperties("virtdevice.alexa.fair-share")
    record Settings(Quota skillRate) {}

    private final RateLimiter limiter;
    private final Settings settings;
    private final Counter userShare;
    private final Counter skillBudget;
    private final Counter coalesced;

    AlexaFairShare(RateLimiter limiter, Settings settings, MeterRegistry meters) {
        this.limiter = limiter;
        this.settings = settings;
        this.userShare = delayed(meters, "user-share");
        this.skillBudget = delayed(meters, "skill-budget");
        this.coalesced = Counter.builder("virtdevice.alexa.events.coalesced")
                .description("Changes folded into an Alexa event already waiting for its endpoint (latest state wins)")
                .register(meters);
    }

    private static Counter delayed(MeterRegistry meters, String reason) {
        return Counter.builder("virtdevice.alexa.events.delayed")
                .description("Alexa events held back for their user's fair share or the skill's gateway budget")
                .tag("reason", reason)
                .register(meters);
    }

    /** Until when the event must wait for its turn, or empty to send it now. Test fires never wait. */
    Optional<Instant> hold(TenantContext owner, AlexaEventOutbox.Row row, Instant now) {
        if (row.test()) {
            return Optional.empty();
        }
        Decision share = limiter.consume(RateLimit.ALEXA_EVENTS, owner, owner.userId().toString());
        if (!share.allowed()) {
            userShare.increment();
            return Optional.of(now.plus(share.quota().jittered(Duration.ofNanos(share.retryAfterNanos()))));
        }
        if (settings.skillRate() != null) {
            Optional<Duration> wait = limiter.take("alexa-skill-events", settings.skillRate(), "skill");
            if (wait.isPresent()) {
                skillBudget.increment();
                return Optional.of(now.plus(settings.skillRate().jittered(wait.get())));
            }
        }
        return Optional.empty();
    }

    void coalesced(int changes) {
        if (changes > 0) {
            coalesced.increment(changes);
        }
    }
}
