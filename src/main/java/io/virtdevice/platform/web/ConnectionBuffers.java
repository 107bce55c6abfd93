package io.virtdevice.platform.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.http11.Http11NioProtocol;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Smaller per-connection buffers in Tomcat, for the live streams: an open stream is an asynchronous
 * request that keeps its connection's buffers for as long as it stays open (up to
 * {@code virtdevice.events.max-streams} of them), while each holds a few hundred bytes of events at a time.
 * Measured with {@code HISTO=1 bench/footprint.sh} (docs/operations.md, "Memory and start-up"): 112 KB of
 * live heap per stream with Tomcat's defaults, 82 KB with these.
 * <ul>
 *   <li>the socket's application read and write buffers: 4 KB each instead of 8 KB (the request-header
 *       buffer, {@code server.max-http-request-header-size} plus the read buffer, shrinks with it; larger
 *       writes go to the socket directly, so this costs no throughput);
 *   <li>the servlet response's buffer: 2 KB of bytes and 2 K chars instead of 8 K each
 *       ({@link Http11Protocol}), which Tomcat allocates for every connection's response object; every
 *       request that does not ask for {@code text/event-stream} has it set back to Tomcat's 8 KB by
 *       {@link ResponseBuffer}, so other responses are buffered, sized ({@code Content-Length}) and
 *       committed exactly as before.
 * </ul>
 */
@Component
class ConnectionBuffers implements TomcatConnectorCustomizer, WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

    static final int SOCKET_BUFFER = 4096;
    static final int STREAM_RESPONSE_BUFFER = 2048;
    /** Tomcat's own default ({@code org.apache.catalina.connector.OutputBuffer.DEFAULT_BUFFER_SIZE}). */
    static final int RESPONSE_BUFFER = 8192;

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.setProtocol(Http11Protocol.class.getName());
    }

    @Override
    public void customize(Connector connector) {
        connector.setProperty("socket.appReadBufSize", Integer.toString(SOCKET_BUFFER));
        connector.setProperty("socket.appWriteBufSize", Integer.toString(SOCKET_BUFFER));
    }

    /**
     * Tomcat's NIO HTTP/1.1 connector whose response objects start with a small buffer
     * ({@link org.apache.catalina.connector.Connector#createResponse} asks the protocol for its size).
     * Public with a no-argument constructor: Tomcat instantiates it by name.
     */
    public static class Http11Protocol extends Http11NioProtocol {

        @Override
        public int getDesiredBufferSize() {
            return STREAM_RESPONSE_BUFFER;
        }
    }

    /**
     * Gives every response but a stream's Tomcat's usual 8 KB buffer back (a response buffer only ever
     * grows, and a connection's response object is reused by its next requests).
     */
    @Component
    @Order(Ordered.HIGHEST_PRECEDENCE)
    static class ResponseBuffer extends OncePerRequestFilter {

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String accept = request.getHeader("Accept");
            if (accept == null || !accept.contains(MediaType.TEXT_EVENT_STREAM_VALUE)) {
                response.setBufferSize(RESPONSE_BUFFER);
            }
            chain.doFilter(request, response);
        }
    }
}
