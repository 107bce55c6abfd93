package io.virtdevice.webhooks;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Sends one signed webhook request. Connections go only to addresses the {@link EgressPolicy} permits:
 * host names are resolved by {@link GuardedResolver}, which drops every refused address, so the socket
 * connects to exactly the addresses that were checked (no DNS-rebinding window); IP literals in any
 * notation are checked explicitly. Redirects are never followed (a 3xx is a failed attempt), nothing is
 * retried inside a request, at most 64 KiB of the response is read, and a hard deadline cancels an
 * attempt that trickles.
 */
@Component
class WebhookSender implements DisposableBean {

    static final String USER_AGENT = "VirtDevice-Webhooks/1.0";
    static final int MAX_RESPONSE_BYTES = 64 * 1024;
    static final int EXCERPT_BYTES = 1024;
    private static final Duration MAX_RETRY_AFTER = Duration.ofHours(24);

    private final EgressPolicy policy;
    private final Duration timeout;
    private final CloseableHttpClient http;
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("webhook-deadlines").daemon().factory());

    WebhookSender(EgressPolicy policy, WebhookSettings settings) {
        this.policy = policy;
        this.timeout = settings.timeout();
        Timeout connect = Timeout.of(settings.connectTimeout());
        Timeout socket = Timeout.of(settings.timeout());
        this.http = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(new GuardedResolver(policy))
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(connect)
                                .setSocketTimeout(socket)
                                .setTimeToLive(TimeValue.ofMinutes(5))
                                .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                                .build())
                        .setMaxConnTotal(200)
                        .setMaxConnPerRoute(20)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(connect)
                        .setResponseTimeout(socket)
                        .setRedirectsEnabled(false)
                        .build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableContentCompression()
                .evictIdleConnections(TimeValue.ofSeconds(30))
                .setUserAgent(USER_AGENT)
                .build();
    }

    /** What one attempt came to. */
    record Result(Integer httpStatus, long latencyMs, String excerpt, String error, Duration retryAfter) {

        boolean delivered() {
            return httpStatus != null && httpStatus >= 200 && httpStatus < 300;
        }

        boolean gone() {
            return httpStatus != null && httpStatus == 410;
        }

        static Result refused(String error) {
            return new Result(null, 0, null, error, null);
        }
    }

    /**
     * POSTs {@code body} to {@code url} with the Standard Webhooks headers, signed by every secret given
     * (newest first), plus the webhook's custom headers.
     */
    Result send(URI url, Map<String, String> headers, String msgId, String body, List<WebhookSecret> secrets) {
        Optional<String> refusal = refusal(url);
        if (refusal.isPresent()) {
            return Result.refused(refusal.get());
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long timestamp = Instant.now().getEpochSecond();
        HttpPost post = new HttpPost(url);
        headers.forEach(post::setHeader);
        post.setHeader("webhook-id", msgId);
        post.setHeader("webhook-timestamp", Long.toString(timestamp));
        post.setHeader("webhook-signature", WebhookSigner.header(secrets, msgId, timestamp, bytes));
        post.setEntity(new ByteArrayEntity(bytes, ContentType.APPLICATION_JSON));
        long started = System.nanoTime();
        ScheduledFuture<?> deadline = deadlines.schedule(post::cancel, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try (ClassicHttpResponse response = http.executeOpen(null, post, HttpClientContext.create())) {
            int status = response.getCode();
            byte[] head = readAtMost(response.getEntity());
            if (head.length > MAX_RESPONSE_BYTES) {
                // Do not drain an endless body: drop the connection instead.
                post.cancel();
            }
            long latency = elapsedMillis(started);
            String error = status >= 200 && status < 300 ? null
                    : status >= 300 && status < 400 ? "redirect not followed (HTTP " + status + ")"
                    : "HTTP " + status;
            return new Result(status, latency, excerpt(head), error, retryAfter(response, status));
        } catch (IOException e) {
            return new Result(null, elapsedMillis(started), null, describe(e, post.isCancelled()), null);
        } finally {
            deadline.cancel(false);
        }
    }

    @Override
    public void destroy() throws IOException {
        deadlines.shutdownNow();
        http.close();
    }

    /** The explicit checks before any connection: IP literals and the plain-http rule. */
    private Optional<String> refusal(URI url) {
        String host = url.getHost();
        if (host == null || url.getRawUserInfo() != null) {
            return Optional.of("invalid URL");
        }
        try {
            Optional<InetAddress> literal = EgressPolicy.literal(host);
            if (literal.isPresent() && !policy.permits(literal.get())) {
                return Optional.of("destination address is not allowed");
            }
            if ("http".equalsIgnoreCase(url.getScheme())) {
                InetAddress[] addresses = literal.isPresent()
                        ? new InetAddress[] {literal.get()}
                        : InetAddress.getAllByName(host);
                if (!Arrays.stream(addresses).allMatch(policy::allowListed)) {
                    return Optional.of("plain http is only allowed to allow-listed addresses");
                }
            } else if (!"https".equalsIgnoreCase(url.getScheme())) {
                return Optional.of("unsupported scheme");
            }
        } catch (UnknownHostException e) {
            return Optional.of("host not found");
        }
        return Optional.empty();
    }

    private static byte[] readAtMost(HttpEntity entity) throws IOException {
        if (entity == null) {
            return new byte[0];
        }
        try (InputStream in = entity.getContent()) {
            return in == null ? new byte[0] : in.readNBytes(MAX_RESPONSE_BYTES + 1);
        }
    }

    /** The first KiB of the response as text, without control characters. */
    static String excerpt(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .decode(java.nio.ByteBuffer.wrap(body, 0, Math.min(body.length, EXCERPT_BYTES)))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
        StringBuilder clean = new StringBuilder();
        text.codePoints()
                .filter(c -> c == '\n' || c == '\t' || !(Character.isISOControl(c) || c == 0xfffd))
                .forEach(clean::appendCodePoint);
        String result = clean.toString();
        while (result.getBytes(StandardCharsets.UTF_8).length > EXCERPT_BYTES) {
            result = result.substring(0, result.length() - 1);
        }
        return result;
    }

    /** {@code Retry-After} on 429 and 503, in seconds or as an HTTP date; capped at a day. */
    static Duration retryAfter(ClassicHttpResponse response, int status) {
        if (status != 429 && status != 503) {
            return null;
        }
        Header header = response.getFirstHeader("Retry-After");
        return header == null ? null : parseRetryAfter(header.getValue(), Instant.now());
    }

    static Duration parseRetryAfter(String value, Instant now) {
        String v = value.strip();
        Duration wait;
        if (!v.isEmpty() && v.length() <= 10 && v.chars().allMatch(Character::isDigit)) {
            wait = Duration.ofSeconds(Long.parseLong(v));
        } else {
            try {
                wait = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
    }

    private String describe(IOException e, boolean cancelled) {
        if (e instanceof BlockedAddress) {
            return "destination address is not allowed";
        }
        if (cancelled) {
            return "no complete response within " + timeout.toSeconds() + " s";
        }
        if (e instanceof SocketTimeoutException || e instanceof InterruptedIOException) {
            return "timed out";
        }
        if (e instanceof UnknownHostException) {
            return "host not found";
        }
        if (e instanceof ConnectException || e instanceof NoRouteToHostException) {
            return "connection refused or unreachable";
        }
        if (e instanceof SSLException) {
            return "TLS failed: " + truncate(e.getMessage());
        }
        return "request failed: " + e.getClass().getSimpleName();
    }

    private static String truncate(String message) {
        return message == null ? "" : message.length() > 200 ? message.substring(0, 200) : message;
    }

    private static long elapsedMillis(long started) {
        return Math.max(0, (System.nanoTime() - started) / 1_000_000);
    }

    /** Raised at connect time when every address of a host is refused. */
    static final class BlockedAddress extends UnknownHostException {
        BlockedAddress(String host) {
            super("no allowed address for " + host);
        }
    }

    /**
     * Resolves host names (and reads IP literals in every notation) and returns only permitted addresses;
     * the connection manager connects to exactly these.
     */
    static final class GuardedResolver implements DnsResolver {

        private final EgressPolicy policy;

        GuardedResolver(EgressPolicy policy) {
            this.policy = policy;
        }

        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            String h = host.startsWith("[") && host.endsWith("]") ? host : host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            Optional<InetAddress> literal = EgressPolicy.literal(h);
            InetAddress[] candidates = literal.isPresent() ? new InetAddress[] {literal.get()} : InetAddress.getAllByName(h);
            InetAddress[] permitted = Arrays.stream(candidates).filter(policy::permits).toArray(InetAddress[]::new);
            if (permitted.length == 0) {
                throw new BlockedAddress(host);
            }
            return permitted;
        }

        @Override
        public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
            return Arrays.stream(resolve(host)).map(a -> new InetSocketAddress(a, port)).toList();
        }

        @Override
        public String resolveCanonicalHostname(String host) {
            return host;
        }
    }
}
