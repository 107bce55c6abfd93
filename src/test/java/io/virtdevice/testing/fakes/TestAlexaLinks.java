package io.virtdevice.testing.fakes;

import io.virtdevice.alexa.AlexaLinkState;
import io.virtdevice.alexa.AlexaLinks;
import io.virtdevice.alexa.AlexaRegion;
import io.virtdevice.alexa.LwaToken;
import io.virtdevice.platform.tenancy.TenantContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Alexa links the tests control (test sources only), until the real {@code AlexaLinks} (AcceptGrant against
 * the fake Login-with-Amazon) is on this branch: users linked here get the tokens and regions the test says,
 * their refreshes issue a new token the {@link FakeEventGateway} accepts (unless told to fail); every other
 * user is answered by the application's own {@code AlexaLinks}, if there is one. The state is static, so every
 * Spring context of the test JVM agrees. In a separate application process,
 * {@code --virtdevice.test.alexa-links=NA:token} links every user with that token.
 */
@Component
@Primary
public class TestAlexaLinks implements AlexaLinks {

    /** One user's link. */
    public static final class Link {
        volatile AlexaRegion region;
        volatile String token;
        volatile String status = "active";
        volatile String reason;
        volatile Instant statusChangedAt = Instant.now();
        volatile Instant lastRefreshAt;
        final Instant linkedAt = Instant.now();
        volatile boolean refreshFails;
        volatile AlexaRegion movesTo;
        final AtomicInteger refreshes = new AtomicInteger();

        Link(AlexaRegion region, String token) {
            this.region = region;
            this.token = token;
        }

        public int refreshes() {
            return refreshes.get();
        }

        public String token() {
            return token;
        }

        public String status() {
            return status;
        }

        /** The refresh at LWA fails from now on (the link is then marked unauthorized). */
        public Link refreshFails() {
            refreshFails = true;
            return this;
        }

        /**
         * The user moves right after the next token is handed out (a new AcceptGrant came from another region's
         * Lambda while an event was on its way to the old region).
         */
        public Link movesAfterNextToken(AlexaRegion newRegion) {
            movesTo = newRegion;
            return this;
        }
    }

    private static final Map<UUID, Link> LINKS = new ConcurrentHashMap<>();

    private final ApplicationContext context;
    private final Link everyone;

    TestAlexaLinks(ApplicationContext context, Environment environment) {
        this.context = context;
        String all = environment.getProperty("virtdevice.test.alexa-links");
        if (all != null && all.contains(":")) {
            everyone = new Link(AlexaRegion.valueOf(all.substring(0, all.indexOf(':'))),
                    all.substring(all.indexOf(':') + 1));
        } else {
            everyone = null;
        }
    }

    /** Links the user with this token in this region; the shared fake gateway accepts it there. */
    public static Link link(UUID userId, AlexaRegion region, String token) {
        FakeEventGateway.shared().accept(region, token);
        Link link = new Link(region, token);
        LINKS.put(userId, link);
        return link;
    }

    public static Link of(UUID userId) {
        return LINKS.get(userId);
    }

    private Link find(TenantContext owner) {
        Link link = LINKS.get(owner.userId());
        return link != null ? link : everyone;
    }

    private Optional<AlexaLinks> real() {
        return context.getBeansOfType(AlexaLinks.class).values().stream().filter(l -> l != this).findFirst();
    }

    @Override
    public Optional<LwaToken> token(TenantContext owner) {
        Link link = find(owner);
        if (link == null) {
            return real().flatMap(r -> r.token(owner));
        }
        if (!"active".equals(link.status)) {
            return Optional.empty();
        }
        LwaToken token = new LwaToken(link.token, link.region, Instant.now().plus(1, ChronoUnit.HOURS));
        if (link.movesTo != null) {
            link.region = link.movesTo;
            link.movesTo = null;
            FakeEventGateway.shared().accept(link.region, link.token);
        }
        return Optional.of(token);
    }

    @Override
    public Optional<LwaToken> refreshAfterRejection(TenantContext owner, String rejectedAccessToken) {
        Link link = find(owner);
        if (link == null) {
            return real().flatMap(r -> r.refreshAfterRejection(owner, rejectedAccessToken));
        }
        synchronized (link) {
            if (!"active".equals(link.status)) {
                return Optional.empty();
            }
            if (link.token.equals(rejectedAccessToken)) {
                link.refreshes.incrementAndGet();
                if (link.refreshFails) {
                    set(link, "unauthorized", "LWA refused the refresh token (invalid_grant)");
                    return Optional.empty();
                }
                link.token = rejectedAccessToken.replaceAll("-r\\d+$", "") + "-r" + link.refreshes.get();
                link.lastRefreshAt = Instant.now();
                FakeEventGateway.shared().accept(link.region, link.token);
            }
            return token(owner);
        }
    }

    @Override
    public void markUnauthorized(TenantContext owner, String reason) {
        Link link = find(owner);
        if (link == null) {
            real().ifPresent(r -> r.markUnauthorized(owner, reason));
        } else {
            set(link, "unauthorized", reason);
        }
    }

    @Override
    public void markRevoked(TenantContext owner, String reason) {
        Link link = find(owner);
        if (link == null) {
            real().ifPresent(r -> r.markRevoked(owner, reason));
        } else {
            set(link, "revoked", reason);
        }
    }

    private static void set(Link link, String status, String reason) {
        link.status = status;
        link.reason = reason;
        link.statusChangedAt = Instant.now();
    }

    @Override
    public Optional<AlexaLinkState> state(TenantContext owner) {
        Link link = find(owner);
        if (link == null) {
            return real().flatMap(r -> r.state(owner));
        }
        return Optional.of(new AlexaLinkState(link.region, link.status, link.reason, link.statusChangedAt,
                "revoked".equals(link.status) ? null : Instant.now().plus(1, ChronoUnit.HOURS), link.lastRefreshAt,
                link.linkedAt));
    }
}
