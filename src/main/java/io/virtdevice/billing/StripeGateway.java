package io.virtdevice.billing;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Event;
import com.stripe.model.Subscription;
import com.stripe.param.checkout.SessionCreateParams;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Stripe's API through stripe-java's {@link StripeClient}, configured per client (its own key and base URL)
 * rather than through the library's global static state, so tests and the app never share settings.
 */
@Component
class StripeGateway {

    private final BillingSettings settings;
    private final StripeClient client;

    StripeGateway(BillingSettings settings) {
        this.settings = settings;
        int timeout = (int) settings.stripe().timeout().toMillis();
        this.client = settings.stripeEnabled()
                ? StripeClient.builder()
                        .setApiKey(settings.stripe().secretKey())
                        .setApiBase(settings.stripe().apiBase().toString().replaceAll("/+$", ""))
                        .setConnectTimeout(timeout)
                        .setReadTimeout(timeout)
                        .setMaxNetworkRetries(1)
                        .build()
                : null;
    }

    /** A Checkout Session for the plan's price, tied to the owner by user id (never by e-mail); its URL. */
    URI checkout(String priceId, UUID ownerId, UUID tenantId, String customer, String successUrl, String cancelUrl)
            throws StripeException {
        SessionCreateParams.Builder params = SessionCreateParams.builder()
                .setMode(SessionCreateParams.Mode.SUBSCRIPTION)
                .addLineItem(SessionCreateParams.LineItem.builder().setPrice(priceId).setQuantity(1L).build())
                .setClientReferenceId(ownerId.toString())
                .putMetadata("user_id", ownerId.toString())
                .putMetadata("tenant_id", tenantId.toString())
                .setSubscriptionData(SessionCreateParams.SubscriptionData.builder()
                        .putMetadata("user_id", ownerId.toString())
                        .putMetadata("tenant_id", tenantId.toString())
                        .build())
                .setSuccessUrl(successUrl)
                .setCancelUrl(cancelUrl);
        if (customer != null) {
            params.setCustomer(customer);
        }
        return URI.create(stripe().v1().checkout().sessions().create(params.build()).getUrl());
    }

    /** A customer portal session (card, invoices, plan changes, cancellation); its URL. */
    URI portal(String customer, String returnUrl) throws StripeException {
        return URI.create(stripe().v1().billingPortal().sessions().create(
                com.stripe.param.billingportal.SessionCreateParams.builder()
                        .setCustomer(customer)
                        .setReturnUrl(returnUrl)
                        .build())
                .getUrl());
    }

    /** The subscription as Stripe has it now (raw JSON), or empty if Stripe does not know it. */
    Optional<String> subscription(String id) throws StripeException {
        try {
            Subscription subscription = stripe().v1().subscriptions().retrieve(id);
            return Optional.of(subscription.getLastResponse().body());
        } catch (com.stripe.exception.InvalidRequestException e) {
            if (e.getStatusCode() != null && e.getStatusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Verifies the Stripe-Signature over the raw body (HMAC-SHA256, the configured tolerance) and parses it. */
    Event verified(String payload, String signature) throws com.stripe.exception.SignatureVerificationException {
        return stripe().constructEvent(payload, signature, settings.stripe().webhookSecret(),
                settings.stripe().signatureTolerance().toSeconds());
    }

    private StripeClient stripe() {
        if (client == null) {
            throw new IllegalStateException("Stripe is not configured");
        }
        return client;
    }
}
