package io.virtdevice.testing.fakes;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistrar;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * A local stand-in for Stripe's API that checks what it receives the way Stripe would: the secret key as
 * {@code Authorization: Bearer} (else 401), form-encoded parameters, and for Checkout Sessions
 * {@code mode=subscription}, one line item with a configured price and quantity 1, the owner's user id as
 * {@code client_reference_id}, in {@code metadata[user_id]} and in {@code subscription_data[metadata][user_id]},
 * and absolute success/cancel URLs (else 400); for portal sessions a {@code customer} and a
 * {@code return_url}. It serves the subscriptions a test put ({@code GET /v1/subscriptions/{id}}, else 404)
 * and a "hosted" checkout page that redirects to the session's success URL. Every response is Stripe-shaped
 * JSON. {@link #event} and {@link #sign} build webhook deliveries with Stripe's real signature scheme
 * ({@code t=<ts>,v1=hex(HMAC-SHA256(secret, ts + "." + body))}).
 */
public final class FakeStripe implements AutoCloseable {

    public static final String SECRET_KEY = "sk_test_fake_0123456789abcdefghijklmnop";
    public static final String WEBHOOK_SECRET = "whsec_fake_0123456789abcdefghijklmnopqrstuv";
    public static final String PRO_PRICE = "price_pro_test";
    public static final String BUSINESS_PRICE = "price_business_test";
    public static final int PRO_DEVICES = 5;
    public static final int BUSINESS_DEVICES = 300;
    public static final int FREE_DEVICES = 2;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** A Checkout Session the fake created: its form parameters. */
    public record CheckoutSession(String id, Map<String, String> params) {
        public String userId() {
            return params.get("client_reference_id");
        }
    }

    /** A request the fake refused (should stay empty in a passing test). */
    public record Refusal(String method, String path, String problem) {}

    private final HttpServer server;
    private final Map<String, String> subscriptions = new ConcurrentHashMap<>();
    private final Map<String, CheckoutSession> sessions = new ConcurrentHashMap<>();
    private final Map<String, String> portalReturns = new ConcurrentHashMap<>();
    private final List<CheckoutSession> checkouts = new CopyOnWriteArrayList<>();
    private final List<String> portalCustomers = new CopyOnWriteArrayList<>();
    private final List<Refusal> refusals = new CopyOnWriteArrayList<>();
    private final AtomicInteger subscriptionFetches = new AtomicInteger();
    private volatile String appOrigin;

    private FakeStripe() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 100);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    public static FakeStripe start() {
        return new FakeStripe();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * Where the hosted pages send the browser back to: the test app's real origin (its public base URL is
     * configured before its random port is known), keeping the path and query Stripe was given.
     */
    public void appOrigin(String origin) {
        this.appOrigin = origin;
    }

    public List<CheckoutSession> checkouts() {
        return List.copyOf(checkouts);
    }

    public List<String> portalCustomers() {
        return List.copyOf(portalCustomers);
    }

    public List<Refusal> refusals() {
        return List.copyOf(refusals);
    }

    public int subscriptionFetches() {
        return subscriptionFetches.get();
    }

    /** What {@code GET /v1/subscriptions/{id}} answers from now on. */
    public void put(ObjectNode subscription) {
        subscriptions.put(subscription.path("id").asString(), subscription.toString());
    }

    public void forget(String subscriptionId) {
        subscriptions.remove(subscriptionId);
    }

    /** A Stripe-shaped subscription object for the owner (metadata user_id, one item with the price). */
    public static ObjectNode subscription(String id, String customer, UUID ownerId, String priceId, String status) {
        long now = Instant.now().getEpochSecond();
        ObjectNode sub = JSON.createObjectNode();
        sub.put("id", id).put("object", "subscription").put("customer", customer).put("status", status)
                .put("cancel_at_period_end", false).put("created", now).put("livemode", false)
                .put("current_period_start", now).put("current_period_end", now + 30 * 86400L);
        sub.putNull("canceled_at");
        sub.putNull("trial_start");
        sub.putNull("trial_end");
        sub.putObject("metadata").put("user_id", ownerId.toString());
        ObjectNode items = sub.putObject("items").put("object", "list").put("has_more", false);
        ObjectNode item = items.putArray("data").addObject().put("id", "si_" + id).put("object", "subscription_item")
                .put("quantity", 1).put("current_period_start", now).put("current_period_end", now + 30 * 86400L);
        item.putObject("price").put("id", priceId).put("object", "price").put("currency", "eur")
                .put("unit_amount", 500);
        return sub;
    }

    public static String newId(String prefix) {
        return prefix + "_test_" + Long.toString(System.nanoTime(), 36) + SEQ.incrementAndGet();
    }

    /** An event envelope around the object, created at the given time. */
    public static String event(String type, ObjectNode object, Instant created) {
        ObjectNode event = JSON.createObjectNode();
        event.put("id", newId("evt")).put("object", "event").put("api_version", "2025-08-27.basil")
                .put("created", created.getEpochSecond()).put("livemode", false).put("pending_webhooks", 1)
                .put("type", type);
        event.putObject("data").set("object", object);
        event.putObject("request").putNull("id");
        return event.toString();
    }

    /** A completed Checkout Session object for the owner and subscription. */
    public static ObjectNode checkoutSession(UUID ownerId, String customer, String subscriptionId) {
        ObjectNode session = JSON.createObjectNode();
        session.put("id", newId("cs")).put("object", "checkout.session").put("mode", "subscription")
                .put("status", "complete").put("payment_status", "paid").put("client_reference_id", ownerId.toString())
                .put("customer", customer).put("subscription", subscriptionId);
        session.putObject("metadata").put("user_id", ownerId.toString());
        return session;
    }

    /** The Stripe-Signature header for the payload, signed at the given time with the webhook secret. */
    public static String sign(String payload, Instant at) {
        return sign(payload, at, WEBHOOK_SECRET);
    }

    public static String sign(String payload, Instant at, String secret) {
        long t = at.getEpochSecond();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] digest = mac.doFinal((t + "." + payload).getBytes(StandardCharsets.UTF_8));
            return "t=" + t + ",v1=" + HexFormat.of().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if ("GET".equals(method) && path.startsWith("/pay/")) {
                CheckoutSession session = sessions.get(path.substring("/pay/".length()));
                redirect(exchange, session == null ? null : session.params().get("success_url"));
                return;
            }
            if ("GET".equals(method) && path.startsWith("/portal/")) {
                redirect(exchange, portalReturns.get(path.substring("/portal/".length())));
                return;
            }
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (!("Bearer " + SECRET_KEY).equals(auth)) {
                refuse(exchange, 401, "authentication_error", "Invalid API Key provided");
                return;
            }
            if ("POST".equals(method) && "/v1/checkout/sessions".equals(path)) {
                createCheckout(exchange);
            } else if ("POST".equals(method) && "/v1/billing_portal/sessions".equals(path)) {
                createPortal(exchange);
            } else if ("GET".equals(method) && path.startsWith("/v1/subscriptions/")) {
                subscriptionFetches.incrementAndGet();
                String body = subscriptions.get(path.substring("/v1/subscriptions/".length()));
                if (body == null) {
                    send(exchange, 404, error("invalid_request_error", "No such subscription", "resource_missing"));
                } else {
                    send(exchange, 200, body);
                }
            } else {
                refuse(exchange, 404, "invalid_request_error", "Unrecognized request URL (" + method + ": " + path + ")");
            }
        }
    }

    private void createCheckout(HttpExchange exchange) throws IOException {
        Map<String, String> p = form(exchange);
        if (p == null) {
            refuse(exchange, 400, "invalid_request_error", "not form-encoded");
            return;
        }
        String problem = null;
        String user = p.get("client_reference_id");
        if (!"subscription".equals(p.get("mode"))) {
            problem = "mode must be subscription";
        } else if (!List.of(PRO_PRICE, BUSINESS_PRICE).contains(p.get("line_items[0][price]"))
                || !"1".equals(p.get("line_items[0][quantity]")) || p.containsKey("line_items[1][price]")) {
            problem = "exactly one line item with a configured price and quantity 1";
        } else if (user == null || !user.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
                || !user.equals(p.get("metadata[user_id]"))
                || !user.equals(p.get("subscription_data[metadata][user_id]"))) {
            problem = "client_reference_id, metadata[user_id] and subscription_data[metadata][user_id] must name the owner";
        } else if (p.containsKey("customer_email")) {
            problem = "the owner is identified by user id, never by e-mail";
        } else if (!absolute(p.get("success_url")) || !absolute(p.get("cancel_url"))) {
            problem = "success_url and cancel_url must be absolute URLs";
        }
        if (problem != null) {
            refuse(exchange, 400, "invalid_request_error", problem);
            return;
        }
        String id = newId("cs");
        CheckoutSession session = new CheckoutSession(id, p);
        sessions.put(id, session);
        checkouts.add(session);
        ObjectNode body = JSON.createObjectNode();
        body.put("id", id).put("object", "checkout.session").put("mode", "subscription").put("status", "open")
                .put("client_reference_id", user).put("url", baseUrl() + "/pay/" + id)
                .put("success_url", p.get("success_url")).put("cancel_url", p.get("cancel_url"));
        body.putObject("metadata").put("user_id", user);
        send(exchange, 200, body.toString());
    }

    private void createPortal(HttpExchange exchange) throws IOException {
        Map<String, String> p = form(exchange);
        if (p == null || p.get("customer") == null || !p.get("customer").startsWith("cus_")
                || !absolute(p.get("return_url"))) {
            refuse(exchange, 400, "invalid_request_error", "customer and return_url are required");
            return;
        }
        String id = newId("bps");
        portalReturns.put(id, p.get("return_url"));
        portalCustomers.add(p.get("customer"));
        ObjectNode body = JSON.createObjectNode();
        body.put("id", id).put("object", "billing_portal.session").put("customer", p.get("customer"))
                .put("return_url", p.get("return_url")).put("url", baseUrl() + "/portal/" + id);
        send(exchange, 200, body.toString());
    }

    private static boolean absolute(String url) {
        try {
            URI uri = url == null ? null : URI.create(url);
            return uri != null && uri.isAbsolute() && uri.getScheme().startsWith("http") && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Map<String, String> form(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.startsWith("application/x-www-form-urlencoded")) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(key, value);
        }
        return params;
    }

    private void refuse(HttpExchange exchange, int status, String type, String message) throws IOException {
        refusals.add(new Refusal(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), message));
        send(exchange, status, error(type, message, null));
    }

    private static String error(String type, String message, String code) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error").put("type", type).put("message", message);
        if (code != null) {
            error.put("code", code);
        }
        return body.toString();
    }

    private void redirect(HttpExchange exchange, String location) throws IOException {
        if (location == null) {
            send(exchange, 404, error("invalid_request_error", "unknown session", null));
            return;
        }
        URI target = URI.create(location);
        String origin = appOrigin;
        String back = origin == null ? location
                : origin + target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery());
        exchange.getResponseHeaders().add("Location", back);
        exchange.sendResponseHeaders(303, -1);
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] out = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("Request-Id", "req_" + UUID.randomUUID().toString().replace("-", ""));
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** The settings that point the application at this fake (Stripe on, plans mode, a 5 s past_due grace). */
    public List<String> settings() {
        List<String> settings = new ArrayList<>();
        settings.add("virtdevice.billing.mode=plans");
        settings.add("virtdevice.billing.stripe.api-base=" + baseUrl());
        settings.add("virtdevice.billing.stripe.secret-key=" + SECRET_KEY);
        settings.add("virtdevice.billing.stripe.webhook-secret=" + WEBHOOK_SECRET);
        settings.add("virtdevice.billing.stripe.redirect-origins=" + baseUrl());
        settings.add("virtdevice.billing.pro.price-id=" + PRO_PRICE);
        settings.add("virtdevice.billing.pro.max-devices=" + PRO_DEVICES);
        settings.add("virtdevice.billing.business.price-id=" + BUSINESS_PRICE);
        settings.add("virtdevice.billing.business.max-devices=" + BUSINESS_DEVICES);
        settings.add("virtdevice.billing.free.max-devices=" + FREE_DEVICES);
        settings.add("virtdevice.billing.past-due-grace=5s");
        return settings;
    }

    /** Starts the fake for the shared test context and points the application at it. */
    public static class Registration {

        @Bean(destroyMethod = "close")
        FakeStripe fakeStripe() {
            return FakeStripe.start();
        }

        @Bean
        DynamicPropertyRegistrar fakeStripeProperties(FakeStripe fake) {
            return registry -> {
                for (String setting : fake.settings()) {
                    int eq = setting.indexOf('=');
                    String value = setting.substring(eq + 1);
                    registry.add(setting.substring(0, eq), () -> value);
                }
            };
        }
    }
}
