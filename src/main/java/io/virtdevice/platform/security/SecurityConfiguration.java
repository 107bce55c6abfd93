package io.virtdevice.platform.security;

import io.virtdevice.platform.web.ContentSecurityPolicy;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.savedrequest.HttpSessionRequestCache;

/**
 * One ordered filter chain per surface: the JSON API ({@code /api/**}), the Alexa endpoints
 * ({@code /alexa/**}), IFTTT's service API ({@code /ifttt/**}), URL-trigger links ({@code /t/**}), the
 * metrics scrape, and the browser pages (the OAuth server's chain is ahead of all). Each credential works on
 * its own surface only ({@link CurrentUser.Surface}): sessions, API keys and the web and mobile apps' OAuth
 * tokens on {@code /api/**}; Alexa's tokens on {@code /alexa/**}; IFTTT's on {@code /ifttt/**}; a trigger
 * token only in its link. Everything else is refused in that surface's own error shape.
 */
@Configuration
class SecurityConfiguration {

    /** Account, team and key management need the signed-in browser session, never an API key. */
    static final String[] SESSION_ONLY = {"/api/v1/account/**", "/api/v1/team/**", "/api/v1/api-keys/**"};

    static final String[] PUBLIC_API = {"/api/v1/auth/**"};

    static final String CONTENT_SECURITY_POLICY = ContentSecurityPolicy.DEFAULT;

    @Bean
    SecurityContextRepository securityContextRepository() {
        return new HttpSessionSecurityContextRepository();
    }

    @Bean
    CookieCsrfTokenRepository csrfTokenRepository() {
        CookieCsrfTokenRepository repository = CookieCsrfTokenRepository.withHttpOnlyFalse();
        repository.setCookieCustomizer(c -> c.sameSite("Lax").path("/"));
        return repository;
    }

    @Bean
    @Order(10)
    SecurityFilterChain apiChain(HttpSecurity http, BearerCredentials credentials,
            SecurityContextRepository contexts, CookieCsrfTokenRepository csrfTokens,
            ObjectProvider<ApiRequestLimit> requestLimit) throws Exception {
        CsrfTokenRequestAttributeHandler csrfHandler = new CsrfTokenRequestAttributeHandler();
        SurfaceResponses responses = SurfaceResponses.of(CurrentUser.Surface.API);
        ApiRequestLimit limit = requestLimit.getIfAvailable();
        http.securityMatcher("/api/**")
                .securityContext(c -> c.securityContextRepository(new BearerAwareSecurityContextRepository(contexts)))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.NEVER))
                // Cookie-authenticated writes need the token; bearer requests are not cookie-driven.
                .csrf(c -> c.csrfTokenRepository(csrfTokens)
                        .csrfTokenRequestHandler(csrfHandler)
                        .ignoringRequestMatchers(request -> BearerTokenFilter.bearer(request).isPresent()))
                // The bearer filter, then the request limit, both ahead of the CSRF check (which skips bearer
                // requests anyway): every response from here on, 401 and 403 included, is counted and announced.
                .addFilterBefore(new BearerTokenFilter(CurrentUser.Surface.API, credentials, responses, limit),
                        CsrfFilter.class);
        if (limit != null) {
            http.addFilterBefore(new ApiRequestLimitFilter(limit), CsrfFilter.class);
        }
        http.addFilterAfter(new TenantScopeFilter(), AuthorizationFilter.class)
                // An async dispatch continues a request that was authorized when it arrived (a live stream
                // completing); bearer credentials are not re-read for it, so it would otherwise be denied.
                .authorizeHttpRequests(a -> a.dispatcherTypeMatchers(DispatcherType.ASYNC).permitAll()
                        .requestMatchers(PUBLIC_API).permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/v1/device-types").permitAll()
                        .requestMatchers(SESSION_ONLY).hasAuthority(Authorities.SESSION)
                        .requestMatchers(HttpMethod.GET, "/api/**").hasAuthority(Authorities.READ)
                        .requestMatchers(HttpMethod.HEAD, "/api/**").hasAuthority(Authorities.READ)
                        .anyRequest().hasAuthority(Authorities.WRITE))
                .exceptionHandling(e -> e.authenticationEntryPoint(ProblemResponses.unauthenticated())
                        .accessDeniedHandler(ProblemResponses.forbidden()))
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(r -> r.disable())
                .headers(h -> h.frameOptions(f -> f.deny()));
        return http.build();
    }

    /**
     * The directive endpoint {@code POST /alexa/v3/directives}: the user's token travels inside the directive
     * (and, optionally, as {@code Authorization: Bearer} from the skill's Lambda), so the security layer lets
     * the request through and the Alexa module checks the token itself ({@link BearerCredentials}, Alexa's
     * tokens only) and answers every refusal as a complete {@code Alexa.ErrorResponse} that echoes the
     * directive (shared/spec/alexa.md §1, §6). No session, no CSRF (nothing here is cookie-driven).
     */
    @Bean
    @Order(9)
    SecurityFilterChain alexaDirectiveChain(HttpSecurity http) throws Exception {
        return signedPostOnly(http, "/alexa/v3/directives");
    }

    /**
     * Stripe's webhook ({@code POST /billing/stripe/webhook}): no session, no CSRF token (Stripe cannot send
     * one); the controller verifies the {@code Stripe-Signature} over the raw body instead, and the database
     * checks it again before it changes anything (security.md §5, §6).
     */
    @Bean
    @Order(8)
    SecurityFilterChain stripeWebhookChain(HttpSecurity http) throws Exception {
        return signedPostOnly(http, "/billing/stripe/webhook");
    }

    /**
     * One POST route whose body carries its own proof (Alexa's bearer token in the directive, Stripe's
     * signature): stateless, no CSRF token, no session; the controller authenticates the request.
     */
    private static SecurityFilterChain signedPostOnly(HttpSecurity http, String path) throws Exception {
        http.securityMatcher(request -> HttpMethod.POST.matches(request.getMethod())
                        && path.equals(request.getRequestURI()))
                .securityContext(c -> c.securityContextRepository(new RequestAttributeSecurityContextRepository()))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(c -> c.disable())
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(r -> r.disable())
                .headers(h -> h.frameOptions(f -> f.deny()));
        return http.build();
    }

    /**
     * The Alexa skill's other endpoints: Alexa's tokens only, as {@code Authorization: Bearer}, no session.
     */
    @Bean
    @Order(11)
    SecurityFilterChain alexaChain(HttpSecurity http, BearerCredentials credentials) throws Exception {
        return bearerOnly(http.securityMatcher("/alexa/**"), CurrentUser.Surface.ALEXA, credentials)
                .authorizeHttpRequests(a -> a.anyRequest().hasAuthority(Authorities.surface(CurrentUser.Surface.ALEXA)))
                .build();
    }

    /**
     * IFTTT's service API ({@code /ifttt/v1/...}): IFTTT's tokens only, no session. {@code /status} and
     * {@code /test/setup} carry IFTTT's service key instead, which their controller checks.
     */
    @Bean
    @Order(12)
    SecurityFilterChain iftttChain(HttpSecurity http, BearerCredentials credentials) throws Exception {
        return bearerOnly(http.securityMatcher("/ifttt/**"), CurrentUser.Surface.IFTTT, credentials)
                .authorizeHttpRequests(a -> a.requestMatchers("/ifttt/v1/status", "/ifttt/v1/test/setup").permitAll()
                        .anyRequest().hasAuthority(Authorities.surface(CurrentUser.Surface.IFTTT)))
                .build();
    }

    private static HttpSecurity bearerOnly(HttpSecurity http, CurrentUser.Surface surface,
            BearerCredentials credentials) throws Exception {
        SurfaceResponses responses = SurfaceResponses.of(surface);
        return http.securityContext(c -> c.securityContextRepository(new RequestAttributeSecurityContextRepository()))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(c -> c.disable())
                .addFilterBefore(new BearerTokenFilter(surface, credentials, responses),
                        BasicAuthenticationFilter.class)
                .addFilterAfter(new TenantScopeFilter(), AuthorizationFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(responses.unauthenticated())
                        .accessDeniedHandler(responses.forbidden()))
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(r -> r.disable())
                .headers(h -> h.frameOptions(f -> f.deny()));
    }

    /**
     * {@code /actuator/prometheus}: only with {@code Authorization: Bearer <virtdevice.management.metrics-token>};
     * without a configured token nobody can scrape. Health and info stay public (browser chain).
     */
    @Bean
    @Order(13)
    SecurityFilterChain metricsChain(HttpSecurity http, ManagementSettings management) throws Exception {
        http.securityMatcher("/actuator/prometheus", "/actuator/prometheus/**")
                .securityContext(c -> c.securityContextRepository(new RequestAttributeSecurityContextRepository()))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(c -> c.disable())
                .authorizeHttpRequests(a -> a.anyRequest().access((authentication, context) ->
                        new AuthorizationDecision(management.metricsTokenMatches(context.getRequest()))))
                .exceptionHandling(e -> e.authenticationEntryPoint(ManagementSettings.unauthenticated())
                        .accessDeniedHandler((request, response, ex) ->
                                ManagementSettings.unauthenticated().commence(request, response, null)))
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(r -> r.disable());
        return http.build();
    }

    /** Secret per-device links for phone shortcuts and Tasker: the token in the path is the credential. */
    @Bean
    @Order(20)
    SecurityFilterChain urlTriggerChain(HttpSecurity http) throws Exception {
        http.securityMatcher("/t/**")
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(c -> c.disable())
                .authorizeHttpRequests(a -> a.anyRequest().permitAll())
                .requestCache(r -> r.disable())
                .headers(h -> h.frameOptions(f -> f.deny()));
        return http.build();
    }

    @Bean
    @Order(100)
    SecurityFilterChain webChain(HttpSecurity http, SecurityContextRepository contexts,
            CookieCsrfTokenRepository csrfTokens) throws Exception {
        http.securityContext(c -> c.securityContextRepository(contexts))
                .csrf(c -> c.csrfTokenRepository(csrfTokens).csrfTokenRequestHandler(new CsrfTokenRequestAttributeHandler()))
                .addFilterAfter(new TenantScopeFilter(), AuthorizationFilter.class)
                // the dashboard's live stream completing (async dispatch) was authorized when it arrived
                .authorizeHttpRequests(a -> a.dispatcherTypeMatchers(DispatcherType.ASYNC).permitAll()
                        .requestMatchers("/", "/login", "/signup", "/verify-email",
                                "/reset-password", "/invitation", "/error", "/favicon.ico", "/css/**", "/js/**",
                                "/webjars/**")
                        .permitAll()
                        .requestMatchers("/actuator/health/**", "/actuator/health", "/actuator/info")
                        .permitAll()
                        .requestMatchers("/v3/api-docs/**", "/swagger-ui/**", "/swagger-ui.html")
                        .permitAll()
                        .anyRequest()
                        .authenticated())
                // No session before sign-in (a crawler's every request would leave a row for 12 hours): pages
                // that need a sign-in are not remembered for after it (the OAuth chain remembers its
                // authorization request, the one flow that must continue after the login), and a failed
                // sign-in says why in the redirect, not in a new session.
                .requestCache(r -> r.requestCache(noNewSessions()))
                .formLogin(f -> f.loginPage("/login").defaultSuccessUrl("/", false)
                        .failureHandler(SecurityConfiguration::loginFailed).permitAll())
                .logout(l -> l.logoutUrl("/logout").logoutSuccessUrl("/login?logout"))
                .headers(h -> h.frameOptions(f -> f.deny())
                        // scripts and styles from this origin only: no inline script or style, no eval (the
                        // dashboard's htmx is configured by a meta tag, its behaviour in /js/dashboard.js)
                        .contentSecurityPolicy(c -> c.policyDirectives(CONTENT_SECURITY_POLICY))
                        .referrerPolicy(r -> r.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)));
        return http.build();
    }

    /** Reads a request saved by another chain (the OAuth authorization request), never saves one itself. */
    private static HttpSessionRequestCache noNewSessions() {
        HttpSessionRequestCache cache = new HttpSessionRequestCache();
        cache.setRequestMatcher(request -> false);
        return cache;
    }

    /** Back to the form with the reason in the query ({@code /login?error}, {@code =locked}, {@code =busy}). */
    private static void loginFailed(HttpServletRequest request, HttpServletResponse response,
            AuthenticationException failure) throws IOException {
        String reason = failure instanceof LockedException ? "=locked"
                : failure instanceof AuthenticationServiceException ? "=busy" : "";
        response.sendRedirect(request.getContextPath() + "/login?error" + reason);
    }
}
