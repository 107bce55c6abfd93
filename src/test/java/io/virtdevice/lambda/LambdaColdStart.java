package io.virtdevice.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.UUID;

/**
 * Runs the packaged Lambda the way the Java runtime does, in a fresh JVM whose class path is only the unpacked
 * {@code virtdevice-alexa-lambda.zip} plus this class: loads the handler by name, then times the first
 * invocation (cold: from the process start) and the following ones (warm). Used by {@code LambdaPackageIT} and
 * {@code bench/lambda-cold-start.sh}; depends on nothing but the JDK and the zip's contents.
 *
 * <pre>
 * java -cp DIR:DIR/lib/*:HARNESS io.virtdevice.lambda.LambdaColdStart invoke WARM_INVOCATIONS   (VIRTDEVICE_URL set)
 * java -cp HARNESS io.virtdevice.lambda.LambdaColdStart serve     (a backend answering every directive at once)
 * </pre>
 */
public final class LambdaColdStart {

    static final String ENDPOINT = "vd_0123456789abcdef0123456789abcdef";
    static final String ANSWER = "{\"event\":{\"header\":{\"namespace\":\"Alexa\",\"name\":\"Response\","
            + "\"payloadVersion\":\"3\",\"messageId\":\"5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4\","
            + "\"correlationToken\":\"corr-1\"},\"endpoint\":{\"endpointId\":\"" + ENDPOINT + "\"},\"payload\":{}},"
            + "\"context\":{\"properties\":[{\"namespace\":\"Alexa.PowerController\",\"name\":\"powerState\","
            + "\"value\":\"ON\",\"timeOfSample\":\"2026-12-03T10:00:00.000Z\",\"uncertaintyInMilliseconds\":0}]}}";

    private LambdaColdStart() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("serve")) {
            serve();
            return;
        }
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Instant processStart = ProcessHandle.current().info().startInstant().orElseThrow();
        long mainNanos = System.nanoTime();
        Instant mainAt = Instant.now();

        RequestStreamHandler handler = (RequestStreamHandler) Class.forName("io.virtdevice.lambda.AlexaLambda")
                .getDeclaredConstructor().newInstance();
        long initNanos = System.nanoTime() - mainNanos;

        long start = System.nanoTime();
        String first = invoke(handler);
        long firstNanos = System.nanoTime() - start;
        Instant firstDone = Instant.now();
        // CPU time is what a busy machine distorts least (wall times stretch with the load)
        Duration cpuToFirstAnswer = ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO);

        long[] warmNanos = new long[warm];
        for (int i = 0; i < warm; i++) {
            long t = System.nanoTime();
            invoke(handler);
            warmNanos[i] = System.nanoTime() - t;
        }
        Arrays.sort(warmNanos);
        System.out.println("RESULT {\"processToMainMs\":" + Duration.between(processStart, mainAt).toMillis()
                + ",\"handlerInitMs\":" + millis(initNanos)
                + ",\"firstInvocationMs\":" + millis(firstNanos)
                + ",\"processToFirstAnswerMs\":" + Duration.between(processStart, firstDone).toMillis()
                + ",\"cpuToFirstAnswerMs\":" + cpuToFirstAnswer.toMillis()
                + ",\"warmMedianMs\":" + (warm == 0 ? 0 : millis(warmNanos[warm / 2]))
                + ",\"warmMaxMs\":" + (warm == 0 ? 0 : millis(warmNanos[warm - 1]))
                + "}");
        System.out.println("ANSWER " + first);
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
    }

    private static String invoke(RequestStreamHandler handler) throws Exception {
        String directive = "{\"directive\":{\"header\":{\"namespace\":\"Alexa.PowerController\",\"name\":\"TurnOn\","
                + "\"payloadVersion\":\"3\",\"messageId\":\"" + UUID.randomUUID() + "\",\"correlationToken\":\"corr-1\"},"
                + "\"endpoint\":{\"scope\":{\"type\":\"BearerToken\",\"token\":\"vda_cold-start-token\"},"
                + "\"endpointId\":\"" + ENDPOINT + "\"},\"payload\":{}}}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(directive.getBytes(StandardCharsets.UTF_8)), out,
                new FixedContext(8000, QUIET));
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A backend that answers every directive at once, until killed; prints its port. */
    private static void serve() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] answer = ANSWER.getBytes(StandardCharsets.UTF_8);
        server.createContext("/alexa/v3/directives", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        System.out.println("PORT " + server.getAddress().getPort());
    }

    /** Drops log lines (the handler's log line is not what is timed). */
    static final LambdaLogger QUIET = new LambdaLogger() {
        @Override
        public void log(String message) {}

        @Override
        public void log(byte[] message) {}
    };

    /** A runtime context with a fixed remaining time and the given logger (also {@code LambdaHarness}'s). */
    static class FixedContext implements Context {
        private final String id = UUID.randomUUID().toString();
        private final int remainingMillis;
        private final LambdaLogger logger;

        FixedContext(int remainingMillis, LambdaLogger logger) {
            this.remainingMillis = remainingMillis;
            this.logger = logger;
        }

        @Override
        public String getAwsRequestId() {
            return id;
        }

        @Override
        public String getLogGroupName() {
            return "/aws/lambda/virtdevice-alexa";
        }

        @Override
        public String getLogStreamName() {
            return "test";
        }

        @Override
        public String getFunctionName() {
            return "virtdevice-alexa";
        }

        @Override
        public String getFunctionVersion() {
            return "$LATEST";
        }

        @Override
        public String getInvokedFunctionArn() {
            return "arn:aws:lambda:eu-west-1:123456789012:function:virtdevice-alexa";
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return remainingMillis;
        }

        @Override
        public int getMemoryLimitInMB() {
            return 512;
        }

        @Override
        public LambdaLogger getLogger() {
            return logger;
        }
    }
}
