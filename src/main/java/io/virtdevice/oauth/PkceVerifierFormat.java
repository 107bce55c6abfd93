package io.virtdevice.oauth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Pattern;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * RFC 7636 §4.1: a {@code code_verifier} is 43 to 128 characters of {@code [A-Z a-z 0-9 - . _ ~]}. Spring
 * Authorization Server only compares its S256 hash with the challenge, so a short (guessable) verifier
 * whose hash matches would pass; this filter refuses any malformed verifier at the token endpoint first,
 * with RFC 6749's {@code invalid_grant}.
 */
class PkceVerifierFormat extends OncePerRequestFilter {

    private static final Pattern VERIFIER = Pattern.compile("^[A-Za-z0-9\\-._~]{43,128}$");

    private final String tokenEndpoint;

    PkceVerifierFormat(String tokenEndpoint) {
        this.tokenEndpoint = tokenEndpoint;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !"POST".equals(request.getMethod()) || !tokenEndpoint.equals(request.getServletPath());
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String verifier = request.getParameter("code_verifier");
        if (verifier != null && !VERIFIER.matcher(verifier).matches()) {
            response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.setHeader("Cache-Control", "no-store");
            response.getWriter().write("{\"error\":\"invalid_grant\",\"error_description\":"
                    + "\"code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~' (RFC 7636)\"}");
            return;
        }
        chain.doFilter(request, response);
    }
}
