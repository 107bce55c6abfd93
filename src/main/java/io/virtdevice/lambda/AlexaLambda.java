package io.virtdevice.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.jr.ob.JSON;

/**
 * The Alexa Smart Home skill's Lambda handler ({@code io.virtdevice.lambda.AlexaLambda::handleRequest}, runtime
 * {@code java21}; deployment in docs/alexa.md): forwards every directive unchanged to VirtDevice's
 * {@code POST /alexa/v3/directives} with {@code X-VirtDevice-Alexa-Region}, and returns VirtDevice's answer —
 * or, when VirtDevice cannot answer within the deadline, a complete ErrorResponse of its own ({@link Forwarder}).
 * A directive without any access token is answered {@code INVALID_AUTHORIZATION_CREDENTIAL} (AcceptGrant:
 * {@code ACCEPT_GRANT_FAILED}) without calling VirtDevice, which would only refuse it.
 *
 * <p>It never throws to the runtime (Alexa would only say "device not responding"); it writes one JSON log line
 * per invocation, never with a token. One {@link HttpClient} serves every invocation of the execution
 * environment, so warm invocations reuse the connection (and a connection that went stale while the environment
 * was frozen is retried once, see {@link Forwarder}).
 *
 * <p>Environment: {@code VIRTDEVICE_URL} (required, e.g. {@code https://virtdevice.example.com}),
 * {@code VIRTDEVICE_ALEXA_REGION} ({@code NA|EU|FE}; by default from {@code AWS_REGION}: {@code us-east-1} NA,
 * {@code eu-west-1} EU, {@code us-west-2} FE), {@code VIRTDEVICE_DEADLINE_MS} (default 6500, at most 7500).
 */
public final class AlexaLambda implements RequestStreamHandler {

    /** Time kept back from the invocation's remaining time to write the answer and return. */
    static final long RESERVE_MILLIS = 250;

    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    static {
        prime();
    }

    private final LambdaSettings settings;
    private final Forwarder forwarder;

    /** The constructor the Lambda runtime calls: settings from the environment. */
    public AlexaLambda() {
        this(LambdaSettings.from(System.getenv()));
    }

    AlexaLambda(LambdaSettings settings) {
        this.settings = settings;
        this.forwarder = new Forwarder(CLIENT, settings);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        long started = System.nanoTime();
        Consumer<String> log = context == null || context.getLogger() == null
                ? System.out::println
                : line -> context.getLogger().log(line + "\n");
        String requestId = context == null ? null : context.getAwsRequestId();
        Directive directive = null;
        Forwarder.Outcome outcome;
        try {
            byte[] body = input.readAllBytes();
            directive = Directive.read(body);
            outcome = answer(body, directive, budget(context), requestId);
        } catch (Throwable e) {
            outcome = Forwarder.Outcome.error(directive, "INTERNAL_ERROR", 0, "Unknown error.",
                    "the Lambda failed: " + e.getClass().getSimpleName());
        }
        try {
            output.write(outcome.body());
            output.flush();
        } finally {
            log(log, requestId, directive, outcome, (System.nanoTime() - started) / 1_000_000);
        }
    }

    private Forwarder.Outcome answer(byte[] body, Directive directive, long budgetMillis, String requestId) {
        if (directive == null) {
            return Forwarder.Outcome.error(null, "INVALID_DIRECTIVE", 0, "The request is not an Alexa directive.",
                    "not a directive");
        }
        if (settings.problem() != null) {
            return Forwarder.Outcome.error(directive, "INTERNAL_ERROR", 0, "The skill's Lambda is not configured.",
                    "configuration: " + settings.problem());
        }
        if (directive.token() == null) {
            return Forwarder.Outcome.error(directive, "INVALID_AUTHORIZATION_CREDENTIAL", 0,
                    "The directive carries no access token.", "no token in the directive");
        }
        if (budgetMillis <= 0) {
            return Forwarder.Outcome.error(directive, "BRIDGE_UNREACHABLE", 0,
                    "VirtDevice could not be reached in time.", "no time left to call VirtDevice");
        }
        return forwarder.forward(body, directive, budgetMillis, requestId);
    }

    /**
     * Runs the code paths of an invocation once without the network — reading a directive, judging an answer,
     * writing an ErrorResponse and a log line — so their classes load and initialise in the Lambda's init phase
     * (and into a SnapStart snapshot) instead of in the first directive's time. No connection is opened here:
     * one made before a snapshot would be dead after the restore.
     */
    static void prime() {
        try {
            byte[] sample = ("{\"directive\":{\"header\":{\"namespace\":\"Alexa\",\"name\":\"ReportState\","
                    + "\"payloadVersion\":\"3\",\"messageId\":\"prime\",\"correlationToken\":\"prime\"},"
                    + "\"endpoint\":{\"scope\":{\"type\":\"BearerToken\",\"token\":\"prime\"},\"endpointId\":\"prime\","
                    + "\"cookie\":{}},\"payload\":{}}}").getBytes(StandardCharsets.UTF_8);
            Directive directive = Directive.read(sample);
            Forwarder.Outcome outcome = Forwarder.answer(directive, 200, directive.error("INTERNAL_ERROR", "prime"));
            new AlexaLambda(new LambdaSettings(null, null, 1, null)).log(line -> {}, "prime", directive, outcome, 0);
            HttpRequest.newBuilder(URI.create("https://prime.invalid" + LambdaSettings.DIRECTIVES_PATH))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(sample))
                    .build();
        } catch (RuntimeException e) {
            // priming is an optimisation only
        }
    }

    /** The configured deadline, shortened to what the invocation has left (less the reserve) when known. */
    long budget(Context context) {
        long budget = settings.deadlineMillis();
        if (context != null) {
            int remaining = context.getRemainingTimeInMillis();
            if (remaining > 0) {
                budget = Math.min(budget, remaining - RESERVE_MILLIS);
            }
        }
        return budget;
    }

    /** One JSON line per invocation: what was asked, what came back, how long it took — no token, no body. */
    private void log(Consumer<String> log, String requestId, Directive directive, Forwarder.Outcome outcome,
            long millis) {
        try {
            Map<String, Object> line = new LinkedHashMap<>();
            // WARN: the Lambda answered itself (VirtDevice unreachable, misconfigured, no token)
            line.put("level", outcome.detail() == null ? "INFO" : "WARN");
            line.put("message", "alexa directive");
            line.put("awsRequestId", requestId);
            line.put("directive", directive == null ? null : directive.loggedName());
            line.put("endpointId", directive == null ? null : directive.endpointId());
            line.put("region", settings.region());
            line.put("forwarded", outcome.forwarded());
            line.put("backendStatus", outcome.backendStatus());
            line.put("errorType", outcome.errorType());
            line.put("detail", outcome.detail());
            line.put("millis", millis);
            log.accept(new String(JSON.std.asBytes(line), StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            log.accept("{\"level\":\"WARN\",\"message\":\"alexa directive (log line failed)\"}");
        }
    }
}
