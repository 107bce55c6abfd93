package io.virtdevice.alexa;

import io.virtdevice.oauth.OAuthFlow;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.fakes.FakeEventGateway;
import io.virtdevice.testing.fakes.FakeLoginWithAmazon;

/**
 * A user's real Alexa link for the proactive-event tests: the {@code alexa-smart-home} account link (OAuth
 * authorization-code flow), then AcceptGrant from the region's Lambda with a code of the fake Login with Amazon;
 * the fake Event Gateway accepts, in that region, every access token LWA issues for this grant (refreshed ones
 * too), as Amazon does.
 */
public record AlexaLinking(String alexaToken, FakeLoginWithAmazon.Grant grant, AlexaRegion region) {

    public static AlexaLinking link(int port, FakeLoginWithAmazon lwa, Fixtures.TestUser user, AlexaRegion region) {
        String alexaToken = new OAuthFlow(port).link(OAuthFlow.ALEXA, "read write", user.email()).accessToken();
        return linkAgain(port, lwa, alexaToken, region);
    }

    /** A new AcceptGrant for the same account link (the user relinked, possibly from another region). */
    static AlexaLinking linkAgain(int port, FakeLoginWithAmazon lwa, String alexaToken, AlexaRegion region) {
        FakeLoginWithAmazon.Grant grant = lwa.issueCode();
        FakeEventGateway.shared().accept(region, token -> grant.accessTokens().contains(token));
        AcceptGrants.accept(port, grant.code(), alexaToken, region.name());
        return new AlexaLinking(alexaToken, grant, region);
    }

    /** The LWA access token the events carry now. */
    public String lwaToken() {
        return grant.accessToken();
    }

    /** Whether a token is one LWA issued for this link. */
    public boolean issued(String token) {
        return grant.accessTokens().contains(token);
    }
}
