package io.virtdevice.oauth;

import io.virtdevice.platform.crypto.Tokens;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.core.OAuth2Token;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenGenerator;

/**
 * Opaque tokens of 256 random bits behind a readable prefix: {@code vda_} access tokens (what the bearer
 * filter recognises) and {@code vdrt_} refresh tokens. Refresh tokens go to every client with the refresh
 * grant, the public mobile app included (it gets strict rotation instead of none); Alexa's and IFTTT's
 * never expire.
 */
final class OpaqueTokenGenerator implements OAuth2TokenGenerator<OAuth2Token> {

    static final String ACCESS_PREFIX = "vda_";
    static final String REFRESH_PREFIX = "vdrt_";

    private final OAuthClients clients;

    OpaqueTokenGenerator(OAuthClients clients) {
        this.clients = clients;
    }

    @Override
    public OAuth2Token generate(OAuth2TokenContext context) {
        RegisteredClient client = context.getRegisteredClient();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        if (OAuth2TokenType.ACCESS_TOKEN.equals(context.getTokenType())) {
            return new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, Tokens.generate(ACCESS_PREFIX), now,
                    now.plus(client.getTokenSettings().getAccessTokenTimeToLive()), context.getAuthorizedScopes());
        }
        if (OAuth2TokenType.REFRESH_TOKEN.equals(context.getTokenType())
                && client.getAuthorizationGrantTypes().contains(AuthorizationGrantType.REFRESH_TOKEN)) {
            Instant expiresAt = clients.find(client.getClientId())
                    .map(OAuthClients.Definition::refreshTokenLifetime)
                    .map(now::plus)
                    .orElse(null);
            return new OAuth2RefreshToken(Tokens.generate(REFRESH_PREFIX), now, expiresAt);
        }
        return null;
    }
}
