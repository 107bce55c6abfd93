package io.virtdevice.oauth;

import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationToken;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Reads an authorization request with SAS's own converter, then narrows its scopes to what the client may
 * have (issued scope = requested ∩ client's allowed ∩ consented, the consent page doing the last step):
 * no scope means all the client's scopes, and IFTTT's {@code ifttt} means all of IFTTT's. A scope VirtDevice
 * does not know at all is left in place, so SAS answers {@code invalid_scope} (RFC 6749 §4.1.2.1).
 */
final class ScopeNarrowingConverter implements AuthenticationConverter {

    private final AuthenticationConverter delegate;
    private final OAuthClients clients;

    ScopeNarrowingConverter(AuthenticationConverter delegate, OAuthClients clients) {
        this.delegate = delegate;
        this.clients = clients;
    }

    @Override
    public Authentication convert(HttpServletRequest request) {
        Authentication converted = delegate.convert(request);
        if (!(converted instanceof OAuth2AuthorizationCodeRequestAuthenticationToken token)
                || converted.getClass() != OAuth2AuthorizationCodeRequestAuthenticationToken.class) {
            return converted;
        }
        Optional<OAuthClients.Definition> client = clients.find(token.getClientId());
        if (client.isEmpty()) {
            return converted;
        }
        Set<String> allowed = new LinkedHashSet<>(client.get().scopes());
        Set<String> requested = new LinkedHashSet<>();
        for (String scope : token.getScopes()) {
            if (scope.equals(OAuthClients.IFTTT_SCOPE) && client.get().type() == OAuthClientType.IFTTT) {
                requested.addAll(allowed);
            } else if (OAuthClients.SCOPES.contains(scope)) {
                requested.add(scope);
            } else {
                return converted;
            }
        }
        Set<String> narrowed = new LinkedHashSet<>(requested.isEmpty() ? allowed : requested);
        narrowed.retainAll(allowed);
        if (narrowed.isEmpty()) {
            return converted;
        }
        return new OAuth2AuthorizationCodeRequestAuthenticationToken(token.getAuthorizationUri(), token.getClientId(),
                (Authentication) token.getPrincipal(), token.getRedirectUri(), token.getState(), narrowed,
                token.getAdditionalParameters());
    }
}
