package io.virtdevice.platform.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The client's address, scheme and host as the servlet request reports them, resolved the way Tomcat's
 * {@code RemoteIpValve} did before the switch to Jetty (docs/operations.md, "Client addresses behind a proxy"):
 * <ul>
 *   <li>only with {@code server.forward-headers-strategy=native} (or, unset, on a cloud platform that uses
 *       forwarded headers, as Spring Boot decides), and only when the connection comes from a trusted proxy
 *       ({@code virtdevice.web.trusted-proxies}): {@code X-Forwarded-For} is walked from the right, skipping
 *       trusted proxies, and the first address that is not one is the client (a client cannot choose its address
 *       by sending the header through the proxy: the proxy appends the real one). Jetty's own
 *       {@code ForwardedRequestCustomizer}, which Spring Boot would add for {@code native}, is switched off
 *       ({@link JettyServer}): it believes every peer and takes the left-most address;
 *   <li>{@code X-Forwarded-Proto} ({@code https} makes the request secure, port 443 unless
 *       {@code X-Forwarded-Port} says otherwise) and {@code X-Forwarded-Host} from a trusted proxy;
 *   <li>an IPv6 address without Jetty's brackets ({@code ::1}, not {@code [::1]}): the address is stored in
 *       PostgreSQL {@code inet} columns and parsed as a literal.
 * </ul>
 * Every dispatch (asynchronous and error ones included) sees the same answer.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class ClientAddressFilter extends OncePerRequestFilter {

    /** Tomcat's default {@code internalProxies}: loopback, link-local and private addresses. */
    static final String PRIVATE_ADDRESSES = "10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|192\\.168\\.\\d{1,3}\\.\\d{1,3}"
            + "|169\\.254\\.\\d{1,3}\\.\\d{1,3}|127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|100\\.6[4-9]\\.\\d{1,3}\\.\\d{1,3}"
            + "|100\\.[7-9]\\d\\.\\d{1,3}\\.\\d{1,3}|100\\.1[0-1]\\d\\.\\d{1,3}\\.\\d{1,3}|100\\.12[0-7]\\.\\d{1,3}\\.\\d{1,3}"
            + "|172\\.1[6-9]\\.\\d{1,3}\\.\\d{1,3}|172\\.2[0-9]\\.\\d{1,3}\\.\\d{1,3}|172\\.3[0-1]\\.\\d{1,3}\\.\\d{1,3}"
            + "|0:0:0:0:0:0:0:1|::1|fe[89ab]\\p{XDigit}:.*|f[cd]\\p{XDigit}{2}+:.*";

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[0-9A-Za-z._-]+)?");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    private final boolean forwardHeaders;
    private final Pattern trustedProxies;

    ClientAddressFilter(WebSettings settings, Environment environment,
            @Value("${server.forward-headers-strategy:#{null}}") String strategy) {
        this.forwardHeaders = strategy == null ? usesForwardHeaders(environment)
                : strategy.trim().toLowerCase(Locale.ROOT).equals("native");
        this.trustedProxies = Pattern.compile(
                settings.trustedProxies() == null || settings.trustedProxies().isBlank() ? PRIVATE_ADDRESSES
                        : settings.trustedProxies());
    }

    private static boolean usesForwardHeaders(Environment environment) {
        CloudPlatform platform = CloudPlatform.getActive(environment);
        return platform != null && platform.isUsingForwardHeaders();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request instanceof Resolved) {
            chain.doFilter(request, response);
            return;
        }
        String peer = withoutBrackets(request.getRemoteAddr());
        if (!forwardHeaders || peer == null || !trustedProxies.matcher(peer).matches()) {
            chain.doFilter(new Resolved(request, peer, null, null, -1), response);
            return;
        }
        String client = client(peer, request.getHeaders("X-Forwarded-For"));
        String proto = request.getHeader("X-Forwarded-Proto");
        Boolean secure = proto == null ? null : secure(proto);
        String host = request.getHeader("X-Forwarded-Host");
        String serverName = null;
        int port = -1;
        if (host != null && !host.isBlank()) {
            host = host.split(",")[0].trim();
            int colon = host.lastIndexOf(':');
            if (colon > 0 && host.indexOf(']') < colon && PORT.matcher(host.substring(colon + 1)).matches()) {
                port = Integer.parseInt(host.substring(colon + 1));
                host = host.substring(0, colon);
            }
            serverName = host;
        }
        String forwardedPort = request.getHeader("X-Forwarded-Port");
        if (forwardedPort != null && PORT.matcher(forwardedPort.trim()).matches()) {
            port = Integer.parseInt(forwardedPort.trim());
        }
        if (port == -1 && secure != null) {
            port = secure ? 443 : 80;
        }
        chain.doFilter(new Resolved(request, client, secure, serverName, port), response);
    }

    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return false;
    }

    /** The right-most address of the header(s) that is not a trusted proxy; the peer if there is none. */
    String client(String peer, java.util.Enumeration<String> headers) {
        List<String> hops = new ArrayList<>();
        for (String header : Collections.list(headers)) {
            for (String hop : header.split(",")) {
                if (!hop.isBlank()) {
                    hops.add(hop.trim());
                }
            }
        }
        String client = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            String hop = withoutBrackets(hops.get(i));
            if (!literal(hop)) {
                break; // not an address: what lies left of it cannot be believed either
            }
            client = hop;
            if (!trustedProxies.matcher(hop).matches()) {
                break;
            }
        }
        return client;
    }

    /** Tomcat's rule: every value of a comma-separated {@code X-Forwarded-Proto} must be {@code https}. */
    private static boolean secure(String proto) {
        for (String value : proto.split(",")) {
            if (!value.trim().equalsIgnoreCase("https")) {
                return false;
            }
        }
        return true;
    }

    /** An IPv4 or IPv6 literal (no host names: nothing here may cause a DNS lookup). */
    static boolean literal(String address) {
        return IPV4.matcher(address).matches() || (address.indexOf(':') >= 0 && IPV6.matcher(address).matches());
    }

    static String withoutBrackets(String address) {
        if (address != null && address.length() > 2 && address.charAt(0) == '[' && address.endsWith("]")) {
            return address.substring(1, address.length() - 1);
        }
        return address;
    }

    /** The request as the proxy's client made it. */
    static final class Resolved extends HttpServletRequestWrapper {

        private final String address;
        private final Boolean secure;
        private final String serverName;
        private final int port;

        Resolved(HttpServletRequest request, String address, Boolean secure, String serverName, int port) {
            super(request);
            this.address = address;
            this.secure = secure;
            this.serverName = serverName;
            this.port = port;
        }

        @Override
        public String getRemoteAddr() {
            return address;
        }

        @Override
        public String getRemoteHost() {
            return address;
        }

        @Override
        public String getScheme() {
            return secure == null ? super.getScheme() : secure ? "https" : "http";
        }

        @Override
        public boolean isSecure() {
            return secure == null ? super.isSecure() : secure;
        }

        @Override
        public String getServerName() {
            return serverName == null ? super.getServerName() : serverName;
        }

        @Override
        public int getServerPort() {
            return port == -1 ? super.getServerPort() : port;
        }

        @Override
        public StringBuffer getRequestURL() {
            if (secure == null && serverName == null && port == -1) {
                return super.getRequestURL();
            }
            String scheme = getScheme();
            int serverPort = getServerPort();
            StringBuffer url = new StringBuffer(scheme).append("://").append(getServerName());
            if (!(scheme.equals("https") && serverPort == 443) && !(scheme.equals("http") && serverPort == 80)) {
                url.append(':').append(serverPort);
            }
            return url.append(getRequestURI());
        }
    }
}
