package io.virtdevice.billing;

import com.stripe.exception.SignatureVerificationException;
import com.stripe.exception.StripeException;
import io.virtdevice.platform.web.DatabaseErrors;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stripe's webhook ({@code POST /billing/stripe/webhook}): the raw body's {@code Stripe-Signature} is verified
 * with stripe-java (HMAC-SHA256, 300 s tolerance), the subscription is re-fetched from Stripe's API (so a late
 * event applies the current state, not its own old one), and the database function
 * {@code app.apply_stripe_event()} checks the signature again and applies the state once per event id, in
 * one transaction with the event record and the activity entry. Answers: 200 (applied, duplicate, stale,
 * ignored, unmatched), 400 (no, wrong or stale signature, or not an event), 404 (Stripe not configured), 503
 * (Stripe's API unreachable: Stripe retries the event later).
 */
@RestController
class StripeWebhookController {

    static final String PATH = "/billing/stripe/webhook";

    private static final Logger log = LoggerFactory.getLogger(StripeWebhookController.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final BillingSettings settings;
    private final StripeGateway stripe;
    private final BillingRepository billing;
    private final TransactionTemplate tx;

    StripeWebhookController(BillingSettings settings, StripeGateway stripe, BillingRepository billing,
            PlatformTransactionManager transactions) {
        this.settings = settings;
        this.stripe = stripe;
        this.billing = billing;
        this.tx = new TransactionTemplate(transactions);
    }

    @PostMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Map<String, Object>> receive(@RequestBody(required = false) byte[] body,
            @RequestHeader(name = "Stripe-Signature", required = false) String signature) {
        if (!settings.stripeEnabled()) {
            return answer(HttpStatus.NOT_FOUND, "error", "billing is not configured");
        }
        Optional<String> payload = utf8(body);
        if (payload.isEmpty() || signature == null || signature.isBlank()) {
            return answer(HttpStatus.BAD_REQUEST, "error", "a signed event body is required");
        }
        try {
            stripe.verified(payload.get(), signature);
        } catch (SignatureVerificationException e) {
            return answer(HttpStatus.BAD_REQUEST, "error", "signature verification failed");
        } catch (RuntimeException e) {
            return answer(HttpStatus.BAD_REQUEST, "error", "not a Stripe event");
        }
        JsonNode event;
        try {
            event = JSON.readTree(payload.get());
        } catch (JacksonException e) {
            return answer(HttpStatus.BAD_REQUEST, "error", "not a Stripe event");
        }
        String type = event.path("type").asString("");
        if (!event.path("id").isString() || !event.path("created").canConvertToLong() || !event.path("data").path("object").isObject()) {
            return answer(HttpStatus.BAD_REQUEST, "error", "not a Stripe event");
        }
        String subscriptionId = subscriptionId(type, event.path("data").path("object"));
        String current = null;
        Instant fetchedAt = null;
        if (subscriptionId != null) {
            try {
                current = stripe.subscription(subscriptionId).orElse(null);
                fetchedAt = Instant.now();
            } catch (StripeException e) {
                log.warn("Stripe event {}: could not re-fetch subscription {}: {}", event.path("id").asString(),
                        subscriptionId, e.getMessage());
                return answer(HttpStatus.SERVICE_UNAVAILABLE, "error", "Stripe's API is unreachable; retry later");
            }
        }
        String fetched = current;
        Instant at = fetchedAt;
        try {
            String outcome = tx.execute(s -> billing.apply(payload.get(), signature, fetched, at));
            log.info("Stripe event {} ({}): {}", event.path("id").asString(), type, outcome);
            return answer(HttpStatus.OK, "outcome", outcome);
        } catch (DataAccessException e) {
            if (DatabaseErrors.of(e).map(d -> "VD401".equals(d.sqlState())).orElse(false)) {
                return answer(HttpStatus.BAD_REQUEST, "error", "signature verification failed");
            }
            throw e;
        }
    }

    /** The subscription an event is about: a subscription event's object, or a completed Checkout's. */
    private static String subscriptionId(String type, JsonNode object) {
        JsonNode id = type.startsWith("customer.subscription.") ? object.path("id")
                : "checkout.session.completed".equals(type) ? object.path("subscription") : null;
        return id != null && id.isString() && id.asString().matches("[A-Za-z0-9_]{1,255}") ? id.asString() : null;
    }

    private static Optional<String> utf8(byte[] body) {
        if (body == null || body.length == 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static ResponseEntity<Map<String, Object>> answer(HttpStatus status, String key, String value) {
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON)
                .body(Map.of("received", status.is2xxSuccessful(), key, value));
    }
}
