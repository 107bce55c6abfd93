package io.virtdevice.platform.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Caps request bodies (default 64 KiB): a declared length over the cap is refused at once with 413, and a
 * chunked body is cut off as it is read, which surfaces as {@link BodyTooLarge} and the same 413. Either 413
 * says {@code Connection: close}: the rest of the body is never read, so the server closes the connection, and a
 * keep-alive client must not send its next request on it.
 *
 * <p>Every other answer leaves the connection reusable: when a handler answers without reading the whole body
 * (a 401, a 404 for an unknown path, a refusal before parsing), the rest of it, within the cap, is read and
 * dropped before the answer is committed. Otherwise Jetty, finding request content it cannot finish reading
 * once the answer is out, closes the connection without having said so, and a keep-alive client's next
 * request fails on it ("header parser received no bytes"). A rest over the cap gets {@code Connection: close}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class BodySizeLimitFilter extends OncePerRequestFilter {

    private final long maxBytes;

    BodySizeLimitFilter(WebSettings settings) {
        this.maxBytes = settings.maxBodyBytes();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            response.setStatus(HttpStatus.CONTENT_TOO_LARGE.value());
            response.setHeader(HttpHeaders.CONNECTION, "close");
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.getOutputStream().write(BodyTooLarge.json(maxBytes).getBytes(StandardCharsets.UTF_8));
            return;
        }
        LimitedRequest limited = new LimitedRequest(request, maxBytes);
        DrainingResponse draining = new DrainingResponse(response, limited);
        chain.doFilter(limited, draining);
        if (!response.isCommitted() && !limited.isAsyncStarted()) {
            draining.drainRequestBody(); // an answer with nothing written: Jetty commits it after this returns
        }
    }

    /** Reads and drops what is left of the request body before the answer is committed (see the class doc). */
    private static final class DrainingResponse extends HttpServletResponseWrapper {
        private final LimitedRequest request;
        private boolean drained;

        DrainingResponse(HttpServletResponse response, LimitedRequest request) {
            super(response);
            this.request = request;
        }

        void drainRequestBody() {
            if (drained) {
                return;
            }
            drained = true;
            if (request.getContentLengthLong() <= 0 && request.getHeader(HttpHeaders.TRANSFER_ENCODING) == null) {
                return; // no body
            }
            try {
                ServletInputStream in = request.getInputStream();
                byte[] buffer = new byte[8192];
                while (!in.isFinished() && in.read(buffer) >= 0) {
                    // dropped
                }
            } catch (BodyTooLarge e) {
                setHeader(HttpHeaders.CONNECTION, "close");
            } catch (IOException | IllegalStateException e) {
                // the client went away, or the body was taken another way (a form, an asynchronous read):
                // nothing to drain here
            }
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            drainRequestBody();
            return super.getOutputStream();
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            drainRequestBody();
            return super.getWriter();
        }

        @Override
        public void flushBuffer() throws IOException {
            drainRequestBody();
            super.flushBuffer();
        }

        @Override
        public void sendError(int status, String message) throws IOException {
            drainRequestBody();
            super.sendError(status, message);
        }

        @Override
        public void sendError(int status) throws IOException {
            drainRequestBody();
            super.sendError(status);
        }

        @Override
        public void sendRedirect(String location, int status, boolean clearBuffer) throws IOException {
            drainRequestBody();
            super.sendRedirect(location, status, clearBuffer);
        }

        @Override
        public void sendRedirect(String location) throws IOException {
            drainRequestBody();
            super.sendRedirect(location);
        }

        @Override
        public void sendRedirect(String location, int status) throws IOException {
            drainRequestBody();
            super.sendRedirect(location, status);
        }

        @Override
        public void sendRedirect(String location, boolean clearBuffer) throws IOException {
            drainRequestBody();
            super.sendRedirect(location, clearBuffer);
        }
    }

    /** Request bodies beyond the configured cap. */
    static final class BodyTooLarge extends IOException {
        final long maxBytes;

        BodyTooLarge(long maxBytes) {
            super("request body larger than " + maxBytes + " bytes");
            this.maxBytes = maxBytes;
        }

        static String json(long maxBytes) {
            return "{\"type\":\"" + ProblemTypes.BODY_TOO_LARGE + "\",\"title\":\"Request body too large\",\"status\":413,"
                    + "\"detail\":\"The request body must not exceed " + maxBytes + " bytes.\"}";
        }
    }

    private static final class LimitedRequest extends HttpServletRequestWrapper {
        private final long max;
        private ServletInputStream stream;

        LimitedRequest(HttpServletRequest request, long max) {
            super(request);
            this.max = max;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                ServletInputStream in = super.getInputStream();
                stream = new ServletInputStream() {
                    private long count;

                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0 && ++count > max) {
                            throw new BodyTooLarge(max);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] buf, int off, int len) throws IOException {
                        int n = in.read(buf, off, len);
                        if (n > 0 && (count += n) > max) {
                            throw new BodyTooLarge(max);
                        }
                        return n;
                    }

                    @Override
                    public boolean isFinished() {
                        return in.isFinished();
                    }

                    @Override
                    public boolean isReady() {
                        return in.isReady();
                    }

                    @Override
                    public void setReadListener(ReadListener listener) {
                        in.setReadListener(listener);
                    }
                };
            }
            return stream;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
