package io.virtdevice.platform.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jetty.servlet.JettyServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The embedded Jetty, set up for many open live streams (issue 14 §3; docs/decisions.md, "Jetty with a
 * platform-thread pool"):
 * <ul>
 *   <li>a {@link QueuedThreadPool} of platform threads for Jetty's selectors and acceptors. Spring Boot would
 *       give Jetty a {@code VirtualThreadPool} for the whole server because {@code spring.threads.virtual.enabled}
 *       is set, which put the selectors on virtual threads and cost REST throughput on 2 cores. With
 *       {@code virtdevice.web.request-threads=virtual} (the default) requests are handled on virtual threads
 *       ({@link QueuedThreadPool#setVirtualThreadsExecutor}); {@code platform} handles them on the pool's own
 *       threads ({@code server.jetty.threads.max});
 *   <li>a 2 KB response buffer for live streams ({@link StreamResponseBuffer}): Jetty keeps a response's output
 *       buffer while the response is open, 32 KB by default; an open stream sends a few hundred bytes at a time.
 *       Every other response keeps Jetty's 32 KB, so it is buffered, sized ({@code Content-Length}) and committed
 *       as before.
 *   <li>problem details (RFC 9457) for the {@code /api} requests Jetty refuses itself, before any filter
 *       ({@link ProblemErrorHandler}: a malformed request line or path, an oversized header with 431);
 * </ul>
 * The connector's idle timeout ({@code server.jetty.connection-idle-timeout}) and connection limit
 * ({@code server.jetty.max-connections}) are in application.yaml.
 */
@Component
class JettyServer implements WebServerFactoryCustomizer<JettyServletWebServerFactory>, Ordered {

    static final int STREAM_RESPONSE_BUFFER = 2048;

    private final boolean virtualRequestThreads;
    private final int maxThreads;
    private final int minThreads;

    JettyServer(@Value("${virtdevice.web.request-threads:virtual}") String requestThreads,
            @Value("${server.jetty.threads.max:200}") int maxThreads,
            @Value("${server.jetty.threads.min:8}") int minThreads) {
        if (!requestThreads.equals("virtual") && !requestThreads.equals("platform")) {
            throw new IllegalArgumentException(
                    "virtdevice.web.request-threads must be virtual or platform, not " + requestThreads);
        }
        this.virtualRequestThreads = requestThreads.equals("virtual");
        this.maxThreads = maxThreads;
        this.minThreads = minThreads;
    }

    @Override
    public void customize(JettyServletWebServerFactory factory) {
        factory.setThreadPool(threadPool());
        // X-Forwarded-* are read by ClientAddressFilter, from trusted proxies only
        factory.setUseForwardHeaders(false);
        factory.addServerCustomizers(server -> server.setErrorHandler(new ProblemErrorHandler()));
    }

    QueuedThreadPool threadPool() {
        QueuedThreadPool pool = new QueuedThreadPool(maxThreads, minThreads);
        pool.setName("jetty");
        if (virtualRequestThreads) {
            pool.setVirtualThreadsExecutor(VirtualThreads.getNamedVirtualThreadsExecutor("jetty-request-"));
        }
        return pool;
    }

    /** After Spring Boot's own customizers, the virtual-thread one among them, whose pool this replaces. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    /**
     * The server's error handler, for what Jetty refuses before the application sees the request (errors inside
     * the application go through Spring Boot's error page and {@link ErrorEndpoint}): problem details under
     * {@code /api}, Jetty's own page elsewhere.
     */
    static final class ProblemErrorHandler extends ErrorHandler {

        static final String UNREADABLE_PATH = "/badMessage";

        /**
         * An answer with a body for every method: Jetty's own handler writes one only for GET, POST and HEAD, so
         * a PUT, DELETE or PATCH it refused (an ambiguous {@code %2f} in the path) got an empty 400.
         */
        @Override
        public boolean errorPageForMethod(String method) {
            return true;
        }

        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                Callback callback) throws IOException {
            String path = request.getHttpURI() == null ? null : request.getHttpURI().getPath();
            // Jetty's stand-in when the request line itself could not be read (bad %-encoding in the path): the
            // path is unknown, and the answer is a problem for every client
            boolean unreadable = path == null || path.equals(UNREADABLE_PATH);
            if (!unreadable && !path.startsWith("/api/")) {
                super.generateResponse(request, response, code, message, cause, callback);
                return;
            }
            String title = HttpStatus.getMessage(code);
            String type = code == HttpStatus.BAD_REQUEST_400 ? ProblemTypes.MALFORMED_REQUEST.toString() : "about:blank";
            String body = "{\"type\":\"" + type + "\",\"title\":\"" + title + "\",\"status\":" + code
                    + ",\"detail\":\"The request was refused before it could be read: " + title + ".\"}";
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
        }
    }

    /**
     * Gives a request that asks for {@code text/event-stream} a 2 KB response buffer; every other response keeps
     * Jetty's default.
     */
    @Component
    @Order(Ordered.HIGHEST_PRECEDENCE)
    static class StreamResponseBuffer extends OncePerRequestFilter {

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String accept = request.getHeader("Accept");
            if (accept != null && accept.contains(MediaType.TEXT_EVENT_STREAM_VALUE)) {
                response.setBufferSize(STREAM_RESPONSE_BUFFER);
            }
            chain.doFilter(request, response);
        }
    }
}
