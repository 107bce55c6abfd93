package io.virtdevice.testing.fakes;

import io.virtdevice.alexa.AlexaLinkState;
import io.virtdevice.alexa.AlexaLinks;
import io.virtdevice.alexa.AlexaRegion;
import io.virtdevice.alexa.LwaToken;
import io.virtdevice.platform.tenancy.TenantContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * For a benchmark run of the application from the test class path only ({@code bench/events.sh}):
 * {@code --virtdevice.test.alexa-links=NA:token} links every user with that LWA token, so a bench user needs no
 * AcceptGrant. Tests never set it: they link through a real AcceptGrant against {@link FakeLoginWithAmazon}.
 */
@Component
@Primary
@ConditionalOnProperty("virtdevice.test.alexa-links")
public class TestAlexaLinks implements AlexaLinks {

    private final AlexaRegion region;
    private final String token;
    private final Instant linkedAt = Instant.now();

    TestAlexaLinks(Environment environment) {
        String all = environment.getRequiredProperty("virtdevice.test.alexa-links");
        int colon = all.indexOf(':');
        this.region = AlexaRegion.valueOf(all.substring(0, colon));
        this.token = all.substring(colon + 1);
    }

    @Override
    public Optional<LwaToken> token(TenantContext owner) {
        return Optional.of(new LwaToken(token, region, Instant.now().plus(1, ChronoUnit.HOURS)));
    }

    @Override
    public Optional<LwaToken> refreshAfterRejection(TenantContext owner, String rejectedAccessToken) {
        return Optional.empty();
    }

    @Override
    public void markUnauthorized(TenantContext owner, String reason) {}

    @Override
    public void markRevoked(TenantContext owner, String reason) {}

    @Override
    public Optional<AlexaLinkState> state(TenantContext owner) {
        return Optional.of(new AlexaLinkState(region, "active", null, linkedAt, Instant.now().plus(1, ChronoUnit.HOURS),
                null, linkedAt));
    }
}
