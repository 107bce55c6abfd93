package io.virtdevice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests a well-behaved client refuses to send: bad percent-encoding in
 * the path, invalid UTF-8, odd methods and header values. One request per connection ({@code Connection:
 * close}); the response is read up to 16 KB of its body: a sized body to its {@code Content-Length}, any other
 * to the end of the connection (a live stream is cut there).
 */
public final class RawHttp {

    private static final int MAX_BODY = 16_384;

    private RawHttp() {}

    public record Response(int status, Map<String, String> headers, String body) {

        /** A header's first value, by case-insensitive name, or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /**
     * Sends {@code method target} with the given header lines (each {@code "Name: value"}) and body; adds
     * Host, Connection: close and, with a body, Content-Length.
     */
    public static Response send(int port, String method, String target, Iterable<String> headerLines, byte[] body) {
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        write(request, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n");
        for (String line : headerLines) {
            write(request, line + "\r\n");
        }
        if (body != null) {
            write(request, "Content-Length: " + body.length + "\r\n");
        }
        write(request, "\r\n");
        if (body != null) {
            request.writeBytes(body);
        }
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        String stage = "connecting";
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(15_000);
            stage = "sending";
            OutputStream out = socket.getOutputStream();
            out.write(request.toByteArray());
            out.flush();
            stage = "reading";
            return read(new RecordingInputStream(socket.getInputStream(), received), "HEAD".equals(method));
        } catch (IOException e) {
            // what failed, where, and what had arrived: a transport failure in a fuzz of thousands of requests
            // is only worth something if the report says which it was
            String arrived = received.size() == 0 ? "nothing"
                    : received.size() + " bytes, beginning: " + abbreviate(received.toString(StandardCharsets.ISO_8859_1));
            throw new UncheckedIOException(method + " " + target + ": " + e + " while " + stage + "; received "
                    + arrived, e);
        }
    }

    private static Response read(InputStream in, boolean head) throws IOException {
        String statusLine = line(in);
        if (statusLine == null || !statusLine.startsWith("HTTP/1.")) {
            throw new IOException("no HTTP response, got: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.putIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        line.substring(colon + 1).trim());
            }
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String contentLength = headers.get("content-length");
        if (head || status == 204 || status == 304) {
            // no body
        } else if (contentLength != null) {
            // a sized body is read to its end and no further: what the server does with the connection after a
            // complete answer (a FIN, or a reset for request bytes it did not read) is not this answer's business
            body.writeBytes(in.readNBytes((int) Math.min(Long.parseLong(contentLength), MAX_BODY)));
        } else if (!headers.getOrDefault("content-type", "").startsWith("text/event-stream")) {
            byte[] buffer = new byte[4096];
            try {
                for (int n = in.read(buffer); n > 0 && body.size() < MAX_BODY; n = in.read(buffer)) {
                    body.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                // a stream that stays open: what arrived is enough
            }
        }
        return new Response(status, headers, body.toString(StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.ISO_8859_1);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    private static String abbreviate(String text) {
        String oneLine = text.replace("\r", "\\r").replace("\n", "\\n");
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "…" : oneLine;
    }

    /** Copies what is read into {@code copy}, for the failure report. */
    private static final class RecordingInputStream extends FilterInputStream {

        private final ByteArrayOutputStream copy;

        RecordingInputStream(InputStream in, ByteArrayOutputStream copy) {
            super(in);
            this.copy = copy;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b != -1 && copy.size() < MAX_BODY) {
                copy.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0 && copy.size() < MAX_BODY) {
                copy.write(buffer, offset, n);
            }
            return n;
        }
    }

    private static void write(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
    }
}
