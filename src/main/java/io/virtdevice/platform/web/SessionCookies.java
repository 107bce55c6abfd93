package io.virtdevice.platform.web;

import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.Cookie;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.session.web.http.CookieSerializer;
import org.springframework.session.web.http.DefaultCookieSerializer;

/**
 * The session cookie ({@code server.servlet.session.cookie.*}), with two changes to Spring Boot's own
 * serializer, which this bean replaces:
 * <ul>
 *   <li>a cookie value that does not decode to a session id we could have issued (a UUID) is ignored, as if
 *       absent: {@code VDSESSION=AAAA} decodes to three NUL bytes, which PostgreSQL refuses as text, and
 *       made every path answer 500 (issue 9);
 *   <li>{@code Secure} follows {@code virtdevice.web.secure-cookies} when it is set, and otherwise the public
 *       base URL: Secure for {@code https://}, not for plain {@code http://} (local use on
 *       {@code http://127.0.0.1}, where a browser would drop a Secure cookie and sign-in would not stick).
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
class SessionCookies {

    private static final Pattern SESSION_ID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    @Bean
    CookieSerializer cookieSerializer(ServerProperties server, WebSettings web,
            @Value("${virtdevice.web.secure-cookies:#{null}}") Boolean secureCookies) {
        Cookie cookie = server.getServlet().getSession().getCookie();
        DefaultCookieSerializer serializer = new DefaultCookieSerializer() {
            @Override
            public List<String> readCookieValues(HttpServletRequest request) {
                return super.readCookieValues(request).stream().filter(SessionCookies::wellFormed).toList();
            }
        };
        if (cookie.getName() != null) {
            serializer.setCookieName(cookie.getName());
        }
        if (cookie.getDomain() != null) {
            serializer.setDomainName(cookie.getDomain());
        }
        if (cookie.getPath() != null) {
            serializer.setCookiePath(cookie.getPath());
        }
        if (cookie.getHttpOnly() != null) {
            serializer.setUseHttpOnlyCookie(cookie.getHttpOnly());
        }
        if (cookie.getMaxAge() != null) {
            serializer.setCookieMaxAge((int) cookie.getMaxAge().toSeconds());
        }
        if (cookie.getSameSite() != null) {
            serializer.setSameSite(cookie.getSameSite().attributeValue());
        }
        serializer.setUseSecureCookie(secure(secureCookies, web));
        return serializer;
    }

    /** Secure cookies when configured so, else exactly when the public base URL is https. */
    static boolean secure(Boolean configured, WebSettings web) {
        return configured != null ? configured : web.baseUrl().regionMatches(true, 0, "https://", 0, 8);
    }

    static boolean wellFormed(String sessionId) {
        return sessionId != null && SESSION_ID.matcher(sessionId).matches();
    }
}
