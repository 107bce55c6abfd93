package io.virtdevice.oauth;

import org.springframework.security.web.access.intercept.AuthorizationFilter;
import io.virtdevice.limits.OAuthTokenRateLimitFilter;
import io.virtdevice.limits.RateLimiter;
import io.virtdevice.platform.web.WebSettings;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.authorization.authentication.ClientSecretAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationContext;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceCodeAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2RefreshTokenAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2TokenExchangeAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2TokenIntrospectionAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.web.authentication.OAuth2AuthorizationCodeRequestAuthenticationConverter;
import org.springframework.security.oauth2.server.authorization.web.authentication.OAuth2DeviceCodeAuthenticationConverter;
import org.springframework.security.oauth2.server.authorization.web.authentication.OAuth2TokenExchangeAuthenticationConverter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.HttpStatusEntryPoint;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * The authorization server's own filter chain (ahead of the API chain), built from Spring Authorization
 * Server with our storage and a few narrow extensions, each in its own class: scope narrowing, public
 * client refresh, refresh-token reuse detection, own-token-only introspection, and "remember this
 * decision". Sign-in is the browser chain's form login at {@code /login}; the consent page is
 * {@link ConsentPageController}.
 */
@Configuration
class AuthorizationServerConfiguration {

    static final String CONSENT_PAGE = "/oauth2/consent";

    /** The request parameter of the consent form's "remember this decision" box. */
    static final String REMEMBER = "remember";

    /** The request parameter of the consent form's "Deny" button. */
    static final String DENY = "deny";

    @Bean
    AuthorizationServerSettings authorizationServerSettings(WebSettings web) {
        return AuthorizationServerSettings.builder().issuer(web.baseUrl()).build();
    }

    @Bean
    @Order(5)
    SecurityFilterChain authorizationServerChain(HttpSecurity http, OAuthClients clients,
            OAuthClientRepository registeredClients, HashedAuthorizationService authorizations,
            RememberedConsentService consents, AuthorizationServerSettings settings,
            SecurityContextRepository contexts, CookieCsrfTokenRepository csrfTokens, RateLimiter limits)
            throws Exception {
        PublicClientRefresh publicClientRefresh =
                new PublicClientRefresh(registeredClients, settings.getTokenRevocationEndpoint());
        http.oauth2AuthorizationServer(server -> {
            http.securityMatcher(server.getEndpointsMatcher());
            server.registeredClientRepository(registeredClients)
                    .authorizationService(authorizations)
                    .authorizationConsentService(consents)
                    .authorizationServerSettings(settings)
                    .tokenGenerator(new OpaqueTokenGenerator(clients))
                    .clientAuthentication(c -> c.authenticationConverter(publicClientRefresh)
                            .authenticationProviders(providers -> {
                                providers.forEach(p -> {
                                    if (p instanceof ClientSecretAuthenticationProvider secrets) {
                                        secrets.setPasswordEncoder(new ClientSecretHash());
                                    }
                                });
                                providers.add(0, publicClientRefresh);
                            }))
                    .authorizationEndpoint(a -> a.consentPage(CONSENT_PAGE)
                            .authorizationRequestConverters(converters -> converters.replaceAll(converter ->
                                    converter instanceof OAuth2AuthorizationCodeRequestAuthenticationConverter
                                            ? new ScopeNarrowingConverter(converter, clients)
                                            : converter))
                            .authenticationProviders(providers -> providers.forEach(p -> {
                                if (p instanceof OAuth2AuthorizationConsentAuthenticationProvider consent) {
                                    consent.setAuthorizationConsentCustomizer(
                                            AuthorizationServerConfiguration::rememberOrDeny);
                                }
                            })))
                    .tokenEndpoint(t -> t
                            // only the authorization-code and refresh grants (client credentials stays, so
                            // that it answers unauthorized_client; device code and token exchange are gone)
                            .accessTokenRequestConverters(converters -> converters.removeIf(converter ->
                                    converter instanceof OAuth2DeviceCodeAuthenticationConverter
                                            || converter instanceof OAuth2TokenExchangeAuthenticationConverter))
                            .authenticationProviders(providers -> {
                                providers.removeIf(p -> p instanceof OAuth2DeviceCodeAuthenticationProvider
                                        || p instanceof OAuth2TokenExchangeAuthenticationProvider);
                                providers.replaceAll(p -> p instanceof OAuth2RefreshTokenAuthenticationProvider
                                        ? new RefreshTokenReuseDetection(p, authorizations)
                                        : p);
                            }))
                    .tokenIntrospectionEndpoint(i -> i.authenticationProviders(providers -> providers.replaceAll(
                            p -> p instanceof OAuth2TokenIntrospectionAuthenticationProvider
                                    ? new OwnTokenIntrospection(p)
                                    : p)))
                    .authorizationServerMetadataEndpoint(m -> m.authorizationServerMetadataCustomizer(
                            metadata -> metadata.claims(AuthorizationServerConfiguration::describe)));
        });
        MediaTypeRequestMatcher browsers = new MediaTypeRequestMatcher(MediaType.TEXT_HTML);
        browsers.setIgnoredMediaTypes(Set.of(MediaType.ALL));
        http.authorizeHttpRequests(a -> a.anyRequest().authenticated())
                .securityContext(c -> c.securityContextRepository(contexts))
                .csrf(c -> c.csrfTokenRepository(csrfTokens).csrfTokenRequestHandler(new CsrfTokenRequestAttributeHandler()))
                .addFilterAfter(consentCsrfFilter(csrfTokens, settings), CsrfFilter.class)
                .addFilterBefore(new PkceVerifierFormat(settings.getTokenEndpoint()), CsrfFilter.class)
                // oauth-token-requests per authenticated client (docs/rate-limits.md): after authorization (the
                // client authenticated), ahead of the token endpoint, which SAS adds after the same filter later
                .addFilterAfter(new OAuthTokenRateLimitFilter(limits), AuthorizationFilter.class)
                .exceptionHandling(e -> e.defaultAuthenticationEntryPointFor(
                                new LoginUrlAuthenticationEntryPoint("/login"), browsers)
                        .defaultAuthenticationEntryPointFor(AuthorizationServerConfiguration::invalidClient,
                                clientEndpoints(settings))
                        .defaultAuthenticationEntryPointFor(new HttpStatusEntryPoint(HttpStatus.UNAUTHORIZED),
                                AnyRequestMatcher.INSTANCE))
                .headers(h -> h.frameOptions(f -> f.deny())
                        .contentSecurityPolicy(c -> c.policyDirectives("default-src 'none'; frame-ancestors 'none'")));
        return http.build();
    }

    /**
     * SAS exempts its endpoints from CSRF protection; the consent form's POST to the authorization endpoint
     * is a cookie-authenticated state change, so it must carry the page's {@code _csrf} token.
     */
    private static CsrfFilter consentCsrfFilter(CookieCsrfTokenRepository csrfTokens, AuthorizationServerSettings settings) {
        CsrfFilter filter = new CsrfFilter(csrfTokens);
        filter.setBeanName("oauthConsentCsrfFilter");
        filter.setRequestHandler(new CsrfTokenRequestAttributeHandler());
        filter.setRequireCsrfProtectionMatcher(
                PathPatternRequestMatcher.withDefaults().matcher(HttpMethod.POST, settings.getAuthorizationEndpoint()));
        return filter;
    }

    private static RequestMatcher clientEndpoints(AuthorizationServerSettings settings) {
        PathPatternRequestMatcher.Builder paths = PathPatternRequestMatcher.withDefaults();
        return new OrRequestMatcher(paths.matcher(settings.getTokenEndpoint()),
                paths.matcher(settings.getTokenRevocationEndpoint()),
                paths.matcher(settings.getTokenIntrospectionEndpoint()));
    }

    /**
     * A token, revocation or introspection request without any client credentials SAS recognises (e.g. a
     * confidential client sending only its client_id) gets RFC 6749's JSON error, not an empty 401.
     */
    private static void invalidClient(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException exception) throws IOException {
        response.setStatus(HttpStatus.UNAUTHORIZED.value());
        response.setHeader("WWW-Authenticate", "Basic realm=\"virtdevice\"");
        response.setHeader("Cache-Control", "no-store");
        response.setContentType(MediaType.APPLICATION_JSON_VALUE);
        response.getWriter().write("{\"error\":\"invalid_client\",\"error_description\":"
                + "\"Client authentication failed: send the client's credentials (HTTP Basic or in the body)\"}");
    }

    /** Without "remember this decision" the approval holds for this authorization only; "Deny" withdraws. */
    private static void rememberOrDeny(OAuth2AuthorizationConsentAuthenticationContext context) {
        Map<String, Object> parameters =
                ((OAuth2AuthorizationConsentAuthenticationToken) context.getAuthentication()).getAdditionalParameters();
        if (parameters.containsKey(DENY)) {
            context.getAuthorizationConsent().authorities(Set::clear);
            return;
        }
        if (!"on".equals(parameters.get(REMEMBER)) && !"true".equals(parameters.get(REMEMBER))) {
            context.getAuthorizationConsent().authorities(authorities -> {
                if (!authorities.isEmpty()) {
                    authorities.add(RememberedConsentService.ONCE);
                }
            });
        }
    }

    /** RFC 8414 metadata that promises only what this server does. */
    private static void describe(Map<String, Object> claims) {
        claims.put("grant_types_supported", List.of("authorization_code", "refresh_token"));
        claims.put("response_types_supported", List.of("code"));
        claims.put("code_challenge_methods_supported", List.of("S256"));
        claims.put("scopes_supported", OAuthClients.SCOPES);
        claims.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post", "none"));
        claims.put("revocation_endpoint_auth_methods_supported",
                List.of("client_secret_basic", "client_secret_post", "none"));
        claims.put("introspection_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post"));
        claims.remove("jwks_uri");
        claims.remove("tls_client_certificate_bound_access_tokens");
        claims.remove("dpop_signing_alg_values_supported");
    }
}
