package io.virtdevice.oauth;

import jakarta.servlet.http.HttpServletRequest;
import java.util.HashMap;
import java.util.Map;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * Identifies the public mobile client by its {@code client_id} alone on a refresh or a revocation. SAS
 * authenticates public clients only for the PKCE code exchange and issues them no refresh tokens; we give
 * the mobile app rotating refresh tokens with reuse detection instead (RFC 9700 §4.14.2), and a public
 * client cannot prove more than its id. The refresh token itself stays bound to its client.
 */
final class PublicClientRefresh implements AuthenticationConverter, AuthenticationProvider {

    private final RegisteredClientRepository clients;
    private final String revocationEndpoint;

    PublicClientRefresh(RegisteredClientRepository clients, String revocationEndpoint) {
        this.clients = clients;
        this.revocationEndpoint = revocationEndpoint;
    }

    @Override
    public Authentication convert(HttpServletRequest request) {
        if (!"POST".equals(request.getMethod()) || request.getHeader("Authorization") != null
                || request.getParameter(OAuth2ParameterNames.CLIENT_SECRET) != null
                || request.getParameter(OAuth2ParameterNames.CLIENT_ASSERTION) != null) {
            return null;
        }
        String path = request.getRequestURI().substring(request.getContextPath().length());
        boolean refresh = AuthorizationGrantType.REFRESH_TOKEN.getValue()
                .equals(request.getParameter(OAuth2ParameterNames.GRANT_TYPE));
        if (!refresh && !path.equals(revocationEndpoint)) {
            return null;
        }
        String[] clientId = request.getParameterValues(OAuth2ParameterNames.CLIENT_ID);
        if (clientId == null) {
            return null;
        }
        if (clientId.length != 1 || clientId[0].isBlank()) {
            throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_REQUEST);
        }
        Map<String, Object> parameters = new HashMap<>();
        request.getParameterMap().forEach((key, values) -> {
            if (!key.equals(OAuth2ParameterNames.CLIENT_ID)) {
                parameters.put(key, values.length == 1 ? values[0] : values);
            }
        });
        return new OAuth2ClientAuthenticationToken(clientId[0], ClientAuthenticationMethod.NONE, null, parameters);
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        OAuth2ClientAuthenticationToken client = (OAuth2ClientAuthenticationToken) authentication;
        if (!ClientAuthenticationMethod.NONE.equals(client.getClientAuthenticationMethod())
                || AuthorizationGrantType.AUTHORIZATION_CODE.getValue()
                        .equals(client.getAdditionalParameters().get(OAuth2ParameterNames.GRANT_TYPE))) {
            // the PKCE code exchange is SAS's PublicClientAuthenticationProvider's
            return null;
        }
        RegisteredClient registered = clients.findByClientId(client.getPrincipal().toString());
        if (registered == null || !registered.getClientAuthenticationMethods().contains(ClientAuthenticationMethod.NONE)) {
            throw new OAuth2AuthenticationException(new OAuth2Error(OAuth2ErrorCodes.INVALID_CLIENT,
                    "Client authentication failed: client_id", null));
        }
        return new OAuth2ClientAuthenticationToken(registered, ClientAuthenticationMethod.NONE, null);
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return OAuth2ClientAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
