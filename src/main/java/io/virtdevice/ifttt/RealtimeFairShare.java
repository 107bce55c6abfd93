package io.virtdevice.ifttt;

import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.limits.Quota;
import io.virtdevice.limits.RateLimiter;
import java.time.Duration;
import java.util.UUID;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * Each user's fair share of the service's IFTTT realtime budget (issue 16 item 3): before a notice goes out,
 * its user's bucket ({@code virtdevice.ifttt.realtime-fair-share.user-rate}) and then, when set, the service's
 * ({@code service-rate}) each give one unit, in the limits module's shared buckets (so the budget holds across
 * instances). A notice that finds its user's share (or the service's budget) spent is not dropped: it is held
 * until the next unit, plus jitter so a noisy user's identities do not all wake at once, and meanwhile later
 * changes of its trigger identity fold into it (a notice only tells IFTTT which identity to poll). The
 * service budget is taken only after the user's share allowed the notice, so a noisy user slows only
 * themselves.
 *
 * <p>Counted in {@code virtdevice.ifttt.realtime.delayed} (tag {@code reason}: {@code user-share},
 * {@code service-budget}) and {@code virtdevice.ifttt.realtime.coalesced}; each identity's own counts are in
 * the IFTTT page's diagnostics and {@code GET /api/v1/ifttt}.
 */
@Component
class RealtimeFairShare {

    /** The bucket of the users' shares (one per user) and of the service's budget (one). */
    static final String USER_BUDGET = "ifttt-realtime-user";
    static final String SERVICE_BUDGET = "ifttt-realtime-service";

    /**
     * @param userRate notices (trigger identities) one user may have announced; default 120 per minute
     * @param serviceRate the whole service's budget, or null for none (IFTTT publishes no number; set one when
     *     the Realtime API answers 429)
     */
    @ConfigurationProperties("virtdevice.ifttt.realtime-fair-share")
    record Settings(Quota userRate, Quota serviceRate) {
        Settings {
            userRate = userRate == null ? new Quota(120, Duration.ofMinutes(1)) : userRate;
        }
    }

    private final RateLimiter limiter;
    private final Settings settings;
    private final MeterRegistry meters;

    RealtimeFairShare(RateLimiter limiter, Settings settings, MeterRegistry meters) {
        this.limiter = limiter;
        this.settings = settings;
        this.meters = meters;
    }

    /**
     * How many of the user's {@code wanted} notices may go now (units taken from their share, then from the
     * service's budget), and how long the rest must wait.
     */
    RateLimiter.Taken admit(UUID userId, int wanted) {
        RateLimiter.Taken share = limiter.takeUpTo(USER_BUDGET, settings.userRate(), userId.toString(), wanted);
        if (share.units() < wanted) {
            meters.counter("virtdevice.ifttt.realtime.delayed", "reason", "user-share").increment(wanted - share.units());
        }
        if (settings.serviceRate() != null && share.units() > 0) {
            RateLimiter.Taken service = limiter.takeUpTo(SERVICE_BUDGET, settings.serviceRate(), "service",
                    share.units());
            if (service.units() < share.units()) {
                meters.counter("virtdevice.ifttt.realtime.delayed", "reason", "service-budget")
                        .increment(share.units() - service.units());
                Duration wait = service.retryIn().compareTo(share.retryIn()) > 0 ? service.retryIn() : share.retryIn();
                return new RateLimiter.Taken(service.units(), settings.serviceRate().jittered(wait));
            }
        }
        return share.units() < wanted
                ? new RateLimiter.Taken(share.units(), settings.userRate().jittered(share.retryIn())) : share;
    }

    /** Changes that accepted notices carried beyond their first. */
    void coalesced(long changes) {
        if (changes > 0) {
            meters.counter("virtdevice.ifttt.realtime.coalesced").increment(changes);
        }
    }
}
