package io.virtdevice.platform.security;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.savedrequest.HttpSessionRequestCache;

/**
 * One ordered filter chain per surface: the JSON API ({@code /api/**}), URL-trigger links ({@code /t/**}),
 * and the browser pages. Later surfaces (OAuth, Alexa, IFTTT, Stripe) add their own chains ahead of the
 * browser one.
 */
@Configuration
class SecurityConfiguration {

    /** Account, team and key management need the signed-in browser session, never an API key. */
    static final String[] SESSION_ONLY = {"/api/v1/account/**", "/api/v1/team/**", "/api/v1/api-keys/**"};

    static final String[] PUBLIC_API = {"/api/v1/auth/**"};

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
    SecurityFilterChain apiChain(HttpSecurity http, List<BearerAuthenticator> authenticators,
            SecurityContextRepository contexts, CookieCsrfTokenRepository csrfTokens) throws Exception {
        CsrfTokenRequestAttributeHandler csrfHandler = new CsrfTokenRequestAttributeHandler();
        http.securityMatcher("/api/**")
                .securityContext(c -> c.securityContextRepository(new BearerAwareSecurityContextRepository(contexts)))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.NEVER))
                // Cookie-authenticated writes need the token; bearer requests are not cookie-driven.
                .csrf(c -> c.csrfTokenRepository(csrfTokens)
                        .csrfTokenRequestHandler(csrfHandler)
                        .ignoringRequestMatchers(request -> BearerTokenFilter.bearer(request).isPresent()))
                .addFilterBefore(new BearerTokenFilter(authenticators, ProblemResponses.unauthenticated()),
                        BasicAuthenticationFilter.class)
                .addFilterAfter(new TenantScopeFilter(), AuthorizationFilter.class)
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
                .authorizeHttpRequests(a -> a.requestMatchers("/", "/login", "/signup", "/verify-email",
                                "/reset-password", "/invitation", "/error", "/favicon.ico", "/css/**", "/webjars/**")
                        .permitAll()
                        .requestMatchers("/actuator/health/**", "/actuator/health", "/actuator/prometheus",
                                "/actuator/info")
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
                        .contentSecurityPolicy(c -> c.policyDirectives(
                                "default-src 'self'; frame-ancestors 'none'; form-action 'self'; object-src 'none'"))
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
