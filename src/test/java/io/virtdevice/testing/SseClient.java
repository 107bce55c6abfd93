package io.virtdevice.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Server-Sent Events client for tests: opens the stream, waits until the server says it is connected,
 * and collects events (id, type, data, arrival time) as they come.
 */
public final class SseClient implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One event. */
    public record Event(String id, String type, String data, Instant receivedAt) {
        public JsonNode json() {
            return JSON.readTree(data);
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final CountDownLatch connected = new CountDownLatch(1);
    private final int status;
    private final String body;
    private volatile Stream<String> lines;
    private final Thread reader;
    private final CountDownLatch ended = new CountDownLatch(1);

    private SseClient(HttpResponse<Stream<String>> response) {
        this.status = response.statusCode();
        if (status != 200) {
            this.body = String.join("\n", response.body().toList());
            this.reader = null;
            return;
        }
        this.body = null;
        this.lines = response.body();
        this.reader = Thread.ofVirtual().start(this::read);
    }

    /** Opens {@code url} with the given headers; for a 200 waits until the stream is live. */
    public static SseClient open(String url, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET().header("Accept", "text/event-stream");
        headers.forEach(request::header);
        try {
            SseClient client = new SseClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
            if (client.status == 200 && !client.connected.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the stream never said it was connected");
            }
            return client;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static SseClient open(String baseUrl, String bearer) {
        return open(baseUrl + "/api/v1/events/stream", Map.of("Authorization", "Bearer " + bearer));
    }

    public int status() {
        return status;
    }

    public String errorBody() {
        return body;
    }

    /** The next event, or an AssertionError after {@code timeout}. */
    public Event next(Duration timeout) {
        try {
            Event event = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("no event within " + timeout);
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Events that arrive within {@code window}, without failing if there are none. */
    public List<Event> drain(Duration window) {
        List<Event> out = new ArrayList<>();
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            try {
                Event e = events.poll(Math.max(1, (end - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (e != null) {
                    out.add(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return out;
    }

    private void read() {
        String id = null;
        String type = null;
        StringBuilder data = new StringBuilder();
        try {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.startsWith(":")) {
                    connected.countDown();
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).stripLeading());
                } else if (line.isEmpty() && !data.isEmpty()) {
                    events.add(new Event(id, type, data.toString(), Instant.now()));
                    id = null;
                    type = null;
                    data.setLength(0);
                }
            }
        } catch (RuntimeException e) {
            // closed
        } finally {
            ended.countDown();
        }
    }

    /** Whether the server ended the stream within {@code timeout}. */
    public boolean awaitEnd(Duration timeout) {
        try {
            return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        if (lines != null) {
            lines.close();
        }
        if (reader != null) {
            reader.interrupt();
        }
    }
}
