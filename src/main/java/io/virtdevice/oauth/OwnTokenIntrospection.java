package io.virtdevice.oauth;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenIntrospection;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2TokenIntrospectionAuthenticationToken;

/**
 * SAS lets any authenticated client introspect any token; here a client only learns about its own tokens
 * (another client's token reads as inactive), so IFTTT cannot probe Alexa's tokens and vice versa.
 */
final class OwnTokenIntrospection implements AuthenticationProvider {

    private final AuthenticationProvider delegate;

    OwnTokenIntrospection(AuthenticationProvider delegate) {
        this.delegate = delegate;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        Authentication result = delegate.authenticate(authentication);
        if (result instanceof OAuth2TokenIntrospectionAuthenticationToken introspection
                && introspection.getTokenClaims().isActive()
                && introspection.getPrincipal() instanceof OAuth2ClientAuthenticationToken caller
                && caller.getRegisteredClient() != null
                && !caller.getRegisteredClient().getClientId().equals(introspection.getTokenClaims().getClientId())) {
            return new OAuth2TokenIntrospectionAuthenticationToken(introspection.getToken(), caller,
                    OAuth2TokenIntrospection.builder().build());
        }
        return result;
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return delegate.supports(authentication);
    }
}
