package io.virtdevice.lambda;

import static io.virtdevice.lambda.LambdaHarness.acceptGrant;
import static io.virtdevice.lambda.LambdaHarness.bytes;
import static io.virtdevice.lambda.LambdaHarness.control;
import static io.virtdevice.lambda.LambdaHarness.discover;
import static io.virtdevice.lambda.LambdaHarness.invoke;
import static io.virtdevice.lambda.LambdaHarness.settings;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.alexa.AlexaSchema;
import io.virtdevice.lambda.LambdaHarness.Invocation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * The Lambda handler against local stand-ins for VirtDevice that answer as told, time out, close the connection
 * or are not there (shared/spec/alexa.md §1, §6, §10 items 34-35): every answer Alexa gets is a complete,
 * schema-valid message ({@link AlexaSchema}) that echoes the directive, and no token ever reaches the log.
 * The round trip against the real application is {@link AlexaLambdaBackendTests}.
 */
class AlexaLambdaTests {

    static final String TOKEN = "vda_" + "t0k3n".repeat(8);
    static final String ENDPOINT = "vd_0123456789abcdef0123456789abcdef";

    /** A schema-valid answer to a TurnOn, as VirtDevice would give it. */
    static final String TURN_ON_RESPONSE = """
            {"event":{"header":{"namespace":"Alexa","name":"Response","payloadVersion":"3",\
            "messageId":"5f8a426e-01e4-4cc9-8b79-65f8bd0fd8a4","correlationToken":"corr-1"},\
            "endpoint":{"scope":{"type":"BearerToken","token":"%s"},"endpointId":"%s"},"payload":{}},\
            "context":{"properties":[{"namespace":"Alexa.PowerController","name":"powerState","value":"ON",\
            "timeOfSample":"2026-12-03T10:00:00.000Z","uncertaintyInMilliseconds":0}]}}""".formatted(TOKEN, ENDPOINT);

    // --- forwarding ---------------------------------------------------------------------------------------

    @Test
    void forwardsTheDirectiveUnchangedWithItsRegionAndReturnsVirtDevicesAnswerAsItIs() throws IOException {
        try (FakeBackend backend = FakeBackend.answering(200, "application/json", TURN_ON_RESPONSE)) {
            // odd spacing and key order: the Lambda must not re-serialise what it forwards
            byte[] directive = ("{ \"directive\" : {\"payload\":{}, \"endpoint\":{\"endpointId\":\"" + ENDPOINT
                    + "\",\"scope\":{\"type\":\"BearerToken\",\"token\":\"" + TOKEN + "\"}},"
                    + "\"header\":{\"namespace\":\"Alexa.PowerController\",\"name\":\"TurnOn\","
                    + "\"payloadVersion\":\"3\",\"messageId\":\"m-1\",\"correlationToken\":\"corr-1\"}}}\n")
                    .getBytes();
            LambdaHarness.TestContext context = new LambdaHarness.TestContext(8000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();

            new AlexaLambda(settings(backend.baseUrl(), 6500))
                    .handleRequest(new java.io.ByteArrayInputStream(directive), out, context);

            assertThat(out.toString()).isEqualTo(TURN_ON_RESPONSE);
            assertThat(backend.received).hasSize(1);
            FakeBackend.Received request = backend.received.get(0);
            assertThat(request.method()).isEqualTo("POST");
            assertThat(request.path()).isEqualTo("/alexa/v3/directives");
            assertThat(request.body()).isEqualTo(directive);
            assertThat(request.header("Content-Type")).isEqualTo("application/json");
            assertThat(request.header("X-VirtDevice-Alexa-Region")).isEqualTo("EU");
            assertThat(request.header("X-Request-Id")).isEqualTo(context.getAwsRequestId());
            assertThat(request.header("Authorization")).isNull();
            JsonNode log = LambdaHarness.JSON.readTree(context.lines.get(0));
            assertThat(context.lines).hasSize(1);
            assertThat(log.path("level").asString()).isEqualTo("INFO");
            assertThat(log.path("awsRequestId").asString()).isEqualTo(context.getAwsRequestId());
            assertThat(log.path("directive").asString()).isEqualTo("Alexa.PowerController.TurnOn");
            assertThat(log.path("endpointId").asString()).isEqualTo(ENDPOINT);
            assertThat(log.path("region").asString()).isEqualTo("EU");
            assertThat(log.path("forwarded").asBoolean()).isTrue();
            assertThat(log.path("backendStatus").asInt()).isEqualTo(200);
            assertNoToken(context.lines);
        }
    }

    @Test
    void virtDevicesOwnErrorResponsesArePassedOnAsTheyAre() throws IOException {
        String noSuchEndpoint = """
                {"event":{"header":{"namespace":"Alexa","name":"ErrorResponse","payloadVersion":"3",\
                "messageId":"8d0d1b1c-3f0e-4a47-9b65-0d7c3f7f1d11","correlationToken":"corr-9"},\
                "endpoint":{"endpointId":"%s"},"payload":{"type":"NO_SUCH_ENDPOINT","message":"No endpoint with this id."}}}\
                """.formatted(ENDPOINT);
        try (FakeBackend backend = FakeBackend.answering(200, "application/json", noSuchEndpoint)) {
            Invocation invocation = invoke(handler(backend), control("Alexa.PowerController", "TurnOff", ENDPOINT,
                    TOKEN, Map.of()));

            assertThat(new String(invocation.output())).isEqualTo(noSuchEndpoint);
            JsonNode log = invocation.logLine();
            assertThat(log.path("forwarded").asBoolean()).isTrue();
            assertThat(log.path("errorType").asString()).isEqualTo("NO_SUCH_ENDPOINT");
            assertThat(log.path("level").asString()).isEqualTo("INFO");
        }
    }

    // --- VirtDevice failing: each yields a complete ErrorResponse (§10 item 35) -------------------------------

    static Stream<Arguments> failingAnswers() {
        return Stream.of(
                Arguments.of(500, "application/json", "{\"status\":500}", "BRIDGE_UNREACHABLE"),
                Arguments.of(502, "text/html", "<html><body>Bad Gateway</body></html>", "BRIDGE_UNREACHABLE"),
                Arguments.of(503, "text/plain", "", "BRIDGE_UNREACHABLE"),
                Arguments.of(404, "text/html", "<h1>Not Found</h1>", "BRIDGE_UNREACHABLE"),
                Arguments.of(301, "text/html", "moved", "BRIDGE_UNREACHABLE"),
                Arguments.of(200, "text/html", "<html>captive portal</html>", "BRIDGE_UNREACHABLE"),
                Arguments.of(200, "application/json", "{\"ok\":true}", "BRIDGE_UNREACHABLE"),
                Arguments.of(200, "application/json", "{\"event\":{\"header\":{\"namespace\":\"Alexa\"", "BRIDGE_UNREACHABLE"),
                Arguments.of(401, "text/plain", "Unauthorized", "INVALID_AUTHORIZATION_CREDENTIAL"),
                Arguments.of(403, "application/problem+json", "{\"status\":403}", "INVALID_AUTHORIZATION_CREDENTIAL"),
                Arguments.of(429, "text/plain", "slow down", "RATE_LIMIT_EXCEEDED"));
    }

    @ParameterizedTest(name = "{0} {1} -> {3}")
    @MethodSource("failingAnswers")
    void anAnswerThatIsNotAnAlexaMessageBecomesAnErrorResponseOfTheLambdasOwn(int status, String contentType,
            String body, String expected) throws IOException {
        try (FakeBackend backend = FakeBackend.answering(status, contentType, body)) {
            Map<String, Object> directive = control("Alexa.PowerController", "TurnOn", ENDPOINT, TOKEN, Map.of());

            Invocation invocation = invoke(handler(backend), directive);

            assertEchoingError(invocation, directive, expected);
            assertThat(backend.received).hasSize(1);
            JsonNode log = invocation.logLine();
            assertThat(log.path("level").asString()).isEqualTo("WARN");
            assertThat(log.path("forwarded").asBoolean()).isFalse();
            assertThat(log.path("backendStatus").asInt()).isEqualTo(status);
            assertThat(log.path("errorType").asString()).isEqualTo(expected);
            if (status == 301) {
                assertThat(log.path("detail").asString()).contains("VIRTDEVICE_URL");
            }
        }
    }

    @Test
    void aRefusalVirtDevicePhrasedAsAnErrorResponseKeepsItsTypeAndGetsTheDirectivesEcho() throws IOException {
        // what VirtDevice's security layer answers before it reads the body: no correlation token, no endpoint
        String expired = """
                {"event":{"header":{"namespace":"Alexa","name":"ErrorResponse","payloadVersion":"3",\
                "messageId":"%s"},"payload":{"type":"EXPIRED_AUTHORIZATION_CREDENTIAL",\
                "message":"The access token is expired."}}}""".formatted(UUID.randomUUID());
        try (FakeBackend backend = FakeBackend.answering(401, "application/json", expired)) {
            Map<String, Object> directive = control("Alexa", "ReportState", ENDPOINT, TOKEN, Map.of());

            Invocation invocation = invoke(handler(backend), directive);

            JsonNode error = assertEchoingError(invocation, directive, "EXPIRED_AUTHORIZATION_CREDENTIAL");
            assertThat(error.path("event").path("payload").path("message").asString())
                    .isEqualTo("The access token is expired.");
        }
    }

    @Test
    void aBackendThatDoesNotAnswerGetsNoMoreThanTheInvocationsRemainingTime() throws IOException {
        try (FakeBackend backend = FakeBackend.hanging()) {
            Map<String, Object> directive = control("Alexa.PowerController", "TurnOn", ENDPOINT, TOKEN, Map.of());

            // the function's timeout leaves 900 ms: the call gets 900 - 250 (the reserve for answering)
            Invocation invocation = invoke(handler(backend), bytes(directive), 900);

            assertEchoingError(invocation, directive, "BRIDGE_UNREACHABLE");
            assertThat(invocation.logLine().path("detail").asString()).isEqualTo("no answer within 650 ms");
            assertThat(backend.received).hasSize(1);
        }
    }

    @Test
    void aBackendThatDoesNotAnswerGetsNoMoreThanTheConfiguredDeadline() throws IOException {
        try (FakeBackend backend = FakeBackend.hanging()) {
            Map<String, Object> directive = discover(TOKEN);

            Invocation invocation = invoke(new AlexaLambda(settings(backend.baseUrl(), 400)), bytes(directive), 8000);

            assertEchoingError(invocation, directive, "BRIDGE_UNREACHABLE");
            assertThat(invocation.logLine().path("detail").asString()).isEqualTo("no answer within 400 ms");
        }
    }

    @Test
    void aConnectionClosedWithoutAnAnswerIsBridgeUnreachableAndARelativeDirectiveIsNotSentTwice() throws IOException {
        try (FakeBackend.Closing backend = new FakeBackend.Closing()) {
            Map<String, Object> directive = control("Alexa.BrightnessController", "AdjustBrightness", ENDPOINT,
                    TOKEN, Map.of("brightnessDelta", -25));

            Invocation invocation = invoke(new AlexaLambda(settings(backend.baseUrl(), 6500)), directive);

            assertEchoingError(invocation, directive, "BRIDGE_UNREACHABLE");
            assertThat(invocation.logLine().path("detail").asString()).startsWith("connection broken: ");
            // VirtDevice may have applied it before the connection broke: a second -25 would be wrong
            assertThat(backend.connections.get()).isEqualTo(1);
        }
    }

    @Test
    void aRepeatableDirectiveIsTriedOnceMoreOnANewConnectionBeforeGivingUp() throws IOException {
        try (FakeBackend.Closing backend = new FakeBackend.Closing()) {
            Map<String, Object> directive = control("Alexa.PowerController", "TurnOn", ENDPOINT, TOKEN, Map.of());

            Invocation invocation = invoke(new AlexaLambda(settings(backend.baseUrl(), 6500)), directive);

            assertEchoingError(invocation, directive, "BRIDGE_UNREACHABLE");
            assertThat(invocation.logLine().path("detail").asString()).startsWith("connection broken twice: ");
            assertThat(backend.connections.get()).isEqualTo(2);
        }
    }

    @Test
    void aKeptConnectionThatWentStaleBetweenInvocationsIsReplacedWithoutAlexaNoticing() throws IOException {
        try (FakeBackend.StaleAfterFirstAnswer backend = new FakeBackend.StaleAfterFirstAnswer(TURN_ON_RESPONSE)) {
            AlexaLambda handler = new AlexaLambda(settings(backend.baseUrl(), 6500));

            Invocation first = invoke(handler, control("Alexa", "ReportState", ENDPOINT, TOKEN, Map.of()));
            Invocation second = invoke(handler, control("Alexa.PowerController", "TurnOn", ENDPOINT, TOKEN, Map.of()));

            assertThat(new String(first.output())).isEqualTo(TURN_ON_RESPONSE);
            assertThat(new String(second.output())).isEqualTo(TURN_ON_RESPONSE);
            assertThat(second.logLine().path("forwarded").asBoolean()).isTrue();
            // the second invocation found the kept connection dead and went on with a new one
            assertThat(backend.connections.get()).isEqualTo(2);
            assertThat(backend.answered.get()).isEqualTo(2);
        }
    }

    @Test
    void aBackendThatIsNotListeningIsBridgeUnreachable() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Map<String, Object> directive = control("Alexa.PowerController", "TurnOn", ENDPOINT, TOKEN, Map.of());

        Invocation invocation = invoke(new AlexaLambda(settings("http://127.0.0.1:" + port, 6500)), directive);

        assertEchoingError(invocation, directive, "BRIDGE_UNREACHABLE");
        assertThat(invocation.logLine().path("detail").asString()).startsWith("connection refused or failed");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"500", "401", "429", "html", "hang"})
    void acceptGrantFailuresAreAuthorizationErrorResponsesWithAcceptGrantFailed(String failure) throws IOException {
        try (FakeBackend backend = failure.equals("hang") ? FakeBackend.hanging()
                : failure.equals("html") ? FakeBackend.answering(200, "text/html", "<p>hi</p>")
                : FakeBackend.answering(Integer.parseInt(failure), "text/plain", "no")) {
            Invocation invocation = invoke(new AlexaLambda(settings(backend.baseUrl(), 400)), acceptGrant(TOKEN));

            JsonNode error = AlexaSchema.valid(invocation.json());
            assertThat(error.path("event").path("header").path("namespace").asString()).isEqualTo("Alexa.Authorization");
            assertThat(error.path("event").path("header").path("name").asString()).isEqualTo("ErrorResponse");
            assertThat(error.path("event").path("payload").path("type").asString()).isEqualTo("ACCEPT_GRANT_FAILED");
            assertThat(error.path("event").path("payload").path("message").asString()).isNotBlank();
            assertThat(error.path("event").has("endpoint")).isFalse();
            assertThat(invocation.logLine().path("errorType").asString()).isEqualTo("ACCEPT_GRANT_FAILED");
            assertThat(invocation.logLine().path("directive").asString()).isEqualTo("Alexa.Authorization.AcceptGrant");
            assertNoToken(invocation.log());
        }
    }

    // --- the token (§10 item 34) --------------------------------------------------------------------------

    static Stream<Arguments> tokenPlaces() {
        return Stream.of(
                Arguments.of("endpoint.scope", control("Alexa", "ReportState", ENDPOINT, TOKEN, Map.of())),
                Arguments.of("payload.grantee", acceptGrant(TOKEN)),
                Arguments.of("payload.scope", discover(TOKEN)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenPlaces")
    void theTokenIsPickedFromEachPlaceAlexaPutsIt(String place, Map<String, Object> directive) throws IOException {
        assertThat(Directive.read(bytes(directive)).token()).as(place).isEqualTo(TOKEN);
        try (FakeBackend backend = FakeBackend.answering(200, "application/json", TURN_ON_RESPONSE)) {
            Invocation invocation = invoke(handler(backend), directive);

            assertThat(backend.received).as(place).hasSize(1);
            assertThat(new String(invocation.output())).isEqualTo(TURN_ON_RESPONSE);
            assertNoToken(invocation.log());
        }
    }

    @Test
    void aDirectiveWithoutAnyTokenIsRefusedWithoutCallingVirtDevice() throws IOException {
        try (FakeBackend backend = FakeBackend.answering(200, "application/json", TURN_ON_RESPONSE)) {
            Map<String, Object> control = control("Alexa.PowerController", "TurnOn", ENDPOINT, null, Map.of());
            assertEchoingError(invoke(handler(backend), control), control, "INVALID_AUTHORIZATION_CREDENTIAL");
            assertEchoingError(invoke(handler(backend), discover(null)), discover(null),
                    "INVALID_AUTHORIZATION_CREDENTIAL");
            Map<String, Object> emptyToken = control("Alexa", "ReportState", ENDPOINT, "", Map.of());
            assertEchoingError(invoke(handler(backend), emptyToken), emptyToken, "INVALID_AUTHORIZATION_CREDENTIAL");

            JsonNode grant = AlexaSchema.valid(invoke(handler(backend), acceptGrant(null)).json());
            assertThat(grant.path("event").path("payload").path("type").asString()).isEqualTo("ACCEPT_GRANT_FAILED");

            assertThat(backend.received).isEmpty();
        }
    }

    // --- input that is not a directive, configuration, the runtime -----------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", "not json", "[1,2]", "{\"directive\":\"x\"}", "{\"event\":{}}", "{\"directive\":"})
    void aBodyThatIsNotADirectiveGetsInvalidDirectiveWithoutCallingVirtDevice(String body) throws IOException {
        try (FakeBackend backend = FakeBackend.answering(200, "application/json", TURN_ON_RESPONSE)) {
            Invocation invocation = invoke(handler(backend), bytes(body), 8000);

            JsonNode error = AlexaSchema.valid(invocation.json());
            assertThat(error.path("event").path("payload").path("type").asString()).isEqualTo("INVALID_DIRECTIVE");
            assertThat(backend.received).isEmpty();
        }
    }

    @Test
    void aMisconfiguredFunctionAnswersEveryDirectiveAndSaysWhyInTheLog() {
        Map<String, Object> directive = control("Alexa.PowerController", "TurnOn", ENDPOINT, TOKEN, Map.of());
        for (Map<String, String> env : List.of(
                Map.of("AWS_REGION", "eu-west-1"),
                Map.of("VIRTDEVICE_URL", "ftp://virtdevice.example.com"),
                Map.of("VIRTDEVICE_URL", "https://virtdevice.example.com", "VIRTDEVICE_ALEXA_REGION", "US"),
                Map.of("VIRTDEVICE_URL", "https://virtdevice.example.com", "VIRTDEVICE_DEADLINE_MS", "9000"))) {
            LambdaSettings settings = LambdaSettings.from(env);
            assertThat(settings.problem()).as(env.toString()).isNotNull();

            Invocation invocation = invoke(new AlexaLambda(settings), directive);

            assertEchoingError(invocation, directive, "INTERNAL_ERROR");
            assertThat(invocation.logLine().path("detail").asString()).startsWith("configuration: ");
        }
    }

    @Test
    void theRegionComesFromTheLambdasAwsRegionUnlessOverridden() throws IOException {
        Map<String, String> base = Map.of("VIRTDEVICE_URL", "https://virtdevice.example.com/");
        assertThat(LambdaSettings.from(with(base, "AWS_REGION", "us-east-1")).region()).isEqualTo("NA");
        assertThat(LambdaSettings.from(with(base, "AWS_REGION", "eu-west-1")).region()).isEqualTo("EU");
        assertThat(LambdaSettings.from(with(base, "AWS_REGION", "us-west-2")).region()).isEqualTo("FE");
        assertThat(LambdaSettings.from(with(base, "AWS_REGION", "ap-northeast-1")).region()).isNull();
        Map<String, String> overridden = with(with(base, "AWS_REGION", "us-east-1"), "VIRTDEVICE_ALEXA_REGION", " fe ");
        assertThat(LambdaSettings.from(overridden).region()).isEqualTo("FE");
        assertThat(LambdaSettings.from(overridden).problem()).isNull();
        assertThat(LambdaSettings.from(base).directivesUri())
                .hasToString("https://virtdevice.example.com/alexa/v3/directives");
        assertThat(LambdaSettings.from(base).deadlineMillis()).isEqualTo(6500);
        assertThat(LambdaSettings.directivesUri("https://h.example:8443/vd/alexa/v3/directives"))
                .hasToString("https://h.example:8443/vd/alexa/v3/directives");

        // no region known: the header is left out rather than guessed
        try (FakeBackend backend = FakeBackend.answering(200, "application/json", TURN_ON_RESPONSE)) {
            LambdaSettings unknown = LambdaSettings.from(Map.of("VIRTDEVICE_URL", backend.baseUrl(),
                    "AWS_REGION", "ap-northeast-1"));
            invoke(new AlexaLambda(unknown), discover(TOKEN));
            assertThat(backend.received.get(0).header("X-VirtDevice-Alexa-Region")).isNull();
        }
    }

    @Test
    void aFailingInputStreamStillGetsAnErrorResponseRatherThanAnException() throws IOException {
        InputStream broken = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("runtime went away");
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LambdaHarness.TestContext context = new LambdaHarness.TestContext(8000);

        new AlexaLambda(settings("http://127.0.0.1:9", 6500)).handleRequest(broken, out, context);

        JsonNode error = AlexaSchema.valid(LambdaHarness.JSON.readTree(out.toByteArray()));
        assertThat(error.path("event").path("payload").path("type").asString()).isEqualTo("INTERNAL_ERROR");
        assertThat(context.lines).hasSize(1);
    }

    // --- helpers ------------------------------------------------------------------------------------------

    private static AlexaLambda handler(FakeBackend backend) {
        return new AlexaLambda(settings(backend.baseUrl(), 6500));
    }

    private static Map<String, String> with(Map<String, String> env, String key, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(key, value);
        return copy;
    }

    /**
     * Asserts a schema-valid {@code Alexa.ErrorResponse} of this type that echoes the directive's correlation
     * token and endpoint (spec §2, §6), with a fresh messageId, and that the log holds no token.
     */
    static JsonNode assertEchoingError(Invocation invocation, Map<String, Object> directive, String type) {
        return assertEchoingErrorFor(invocation, directive, type, TOKEN);
    }

    static JsonNode assertEchoingErrorFor(Invocation invocation, Map<String, Object> directive, String type,
            String token) {
        JsonNode error = AlexaSchema.valid(invocation.json());
        JsonNode event = error.path("event");
        assertThat(event.path("header").path("namespace").asString()).isEqualTo("Alexa");
        assertThat(event.path("header").path("name").asString()).isEqualTo("ErrorResponse");
        assertThat(event.path("payload").path("type").asString()).isEqualTo(type);
        assertThat(event.path("payload").path("message").asString()).isNotBlank();
        JsonNode sent = LambdaHarness.JSON.valueToTree(directive).path("directive");
        assertThat(event.path("header").path("messageId").asString())
                .isNotEqualTo(sent.path("header").path("messageId").asString());
        if (sent.path("header").has("correlationToken")) {
            assertThat(event.path("header").path("correlationToken").asString())
                    .isEqualTo(sent.path("header").path("correlationToken").asString());
        } else {
            assertThat(event.path("header").has("correlationToken")).isFalse();
        }
        if (sent.has("endpoint")) {
            assertThat(event.path("endpoint").path("endpointId").asString())
                    .isEqualTo(sent.path("endpoint").path("endpointId").asString());
            assertThat(event.path("endpoint").path("cookie")).isEqualTo(sent.path("endpoint").path("cookie"));
            if (sent.path("endpoint").path("scope").path("token").asString("").isEmpty()) {
                assertThat(event.path("endpoint").has("scope")).isFalse();
            } else {
                assertThat(event.path("endpoint").path("scope")).isEqualTo(sent.path("endpoint").path("scope"));
            }
        } else {
            assertThat(event.has("endpoint")).isFalse();
        }
        assertThat(invocation.log()).isNotEmpty();
        assertThat(String.join("\n", invocation.log())).doesNotContain(token);
        return error;
    }

    static void assertNoToken(List<String> log) {
        assertThat(log).isNotEmpty();
        assertThat(String.join("\n", log)).doesNotContain(TOKEN);
    }
}
