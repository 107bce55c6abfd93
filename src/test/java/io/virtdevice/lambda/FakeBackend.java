package io.virtdevice.lambda;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A stand-in for VirtDevice's {@code POST /alexa/v3/directives} (JDK HttpServer on 127.0.0.1) that records what
 * the Lambda sent and answers as told: a status and body, or no answer until the test ends ({@link #hanging()}).
 * It checks the request line and headers the Lambda must send, so a wrong request fails the test.
 */
final class FakeBackend implements AutoCloseable {

    /** One request as received. */
    record Received(String method, String path, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    /** An answer: status, content type and body. */
    record Answer(int status, String contentType, String body) {}

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final CountDownLatch release = new CountDownLatch(1);

    private FakeBackend(Function<Received, Answer> answers, boolean hang) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            Received request = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    Map.copyOf(exchange.getRequestHeaders()), exchange.getRequestBody().readAllBytes());
            received.add(request);
            try {
                if (hang) {
                    release.await(30, TimeUnit.SECONDS);
                }
                Answer answer = answers.apply(request);
                byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
                if (answer.contentType() != null) {
                    exchange.getResponseHeaders().set("Content-Type", answer.contentType());
                }
                exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the Lambda gave up and closed the connection
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** Answers every request with this status, content type and body. */
    static FakeBackend answering(int status, String contentType, String body) throws IOException {
        return new FakeBackend(r -> new Answer(status, contentType, body), false);
    }

    /** Answers with whatever the function makes of the request. */
    static FakeBackend answering(Function<Received, Answer> answers) throws IOException {
        return new FakeBackend(answers, false);
    }

    /** Reads the request and does not answer until closed. */
    static FakeBackend hanging() throws IOException {
        return new FakeBackend(r -> new Answer(200, "application/json", "{}"), true);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }

    /** A plain socket server: each accepted connection is handed, with its number (from 1), to the handler. */
    static class RawServer implements AutoCloseable {
        final AtomicInteger connections = new AtomicInteger();
        private final ServerSocket socket;
        private final Thread acceptor;

        RawServer(BiConsumer<Socket, Integer> handler) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket connection = socket.accept();
                        int number = connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> {
                            try (connection) {
                                handler.accept(connection, number);
                            } catch (IOException e) {
                                // the client went away
                            }
                        });
                    } catch (IOException e) {
                        // closed
                    }
                }
            });
        }

        String baseUrl() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            acceptor.interrupt();
        }
    }

    /**
     * Reads each request's head and closes the connection without a byte of answer — a backend that crashed
     * mid-request, or a proxy dropping it.
     */
    static final class Closing extends RawServer {
        Closing() throws IOException {
            super((connection, number) -> {
                try {
                    readHead(connection.getInputStream());
                } catch (IOException e) {
                    // closed
                }
            });
        }
    }

    /**
     * A keep-alive server whose first connection goes stale after one answer: the second request on it is read
     * and the connection closed without an answer — what a Lambda meets when the backend or a load balancer
     * closed an idle connection while the execution environment was frozen. Later connections answer every
     * request with the given body.
     */
    static final class StaleAfterFirstAnswer extends RawServer {
        final AtomicInteger answered;

        StaleAfterFirstAnswer(String answer) throws IOException {
            this(answer.getBytes(StandardCharsets.UTF_8), new AtomicInteger());
        }

        private StaleAfterFirstAnswer(byte[] body, AtomicInteger answered) throws IOException {
            super((connection, number) -> serve(connection, number == 1, body, answered));
            this.answered = answered;
        }

        private static void serve(Socket connection, boolean goesStale, byte[] body, AtomicInteger answered) {
            try {
                InputStream in = connection.getInputStream();
                OutputStream out = connection.getOutputStream();
                for (int request = 1; ; request++) {
                    String head = readHead(in);
                    if (head.isEmpty()) {
                        return;
                    }
                    in.readNBytes(contentLength(head));
                    if (goesStale && request == 2) {
                        return;
                    }
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                            + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                    answered.incrementAndGet();
                }
            } catch (IOException e) {
                // the client went away
            }
        }
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("Content-Length")) {
                return Integer.parseInt(line.substring(colon + 1).strip());
            }
        }
        return 0;
    }

    /** Reads up to the blank line that ends a request head. */
    static String readHead(InputStream in) throws IOException {
        List<Byte> head = new ArrayList<>();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.add((byte) b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        byte[] bytes = new byte[head.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = head.get(i);
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
