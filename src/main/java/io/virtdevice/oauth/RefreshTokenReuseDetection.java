package io.virtdevice.oauth;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2RefreshTokenAuthenticationToken;

/**
 * SAS's refresh-token grant, plus reuse detection: when a refresh is refused because the token was already
 * rotated away, the grant is revoked, so neither the thief nor the victim keeps a working token
 * (RFC 9700 §4.14.2). Only the refresh grant does this; revocation and introspection never revoke families.
 */
final class RefreshTokenReuseDetection implements AuthenticationProvider {

    private final AuthenticationProvider delegate;
    private final HashedAuthorizationService authorizations;

    RefreshTokenReuseDetection(AuthenticationProvider delegate, HashedAuthorizationService authorizations) {
        this.delegate = delegate;
        this.authorizations = authorizations;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        try {
            return delegate.authenticate(authentication);
        } catch (OAuth2AuthenticationException e) {
            if (OAuth2ErrorCodes.INVALID_GRANT.equals(e.getError().getErrorCode())
                    && authentication instanceof OAuth2RefreshTokenAuthenticationToken refresh) {
                authorizations.detectRefreshTokenReuse(refresh.getRefreshToken());
            }
            throw e;
        }
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return delegate.supports(authentication);
    }
}
