package io.virtdevice.billing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Billing.
 *
 * @param mode {@code none} (self-hosted: no plans, the instance limit {@code virtdevice.devices.max-per-user})
 *     or {@code plans} (each tenant's plan decides)
 * @param pastDueGrace how long a {@code past_due} subscription keeps its paid limits before it falls back to
 *     the free plan
 * @param free the free plan's device limit
 * @param pro the Pro plan: its Stripe price id and device limit
 * @param business the Business plan: its Stripe price id and device limit (at most 300, Alexa's endpoint
 *     limit per account)
 * @param stripe the Stripe account; blank keys switch Stripe off (no checkout, the webhook answers 404)
 */
@ConfigurationProperties("virtdevice.billing")
record BillingSettings(
        @DefaultValue("none") String mode,
        @DefaultValue("7d") Duration pastDueGrace,
        @DefaultValue Free free,
        @DefaultValue Paid pro,
        @DefaultValue Paid business,
        @DefaultValue Stripe stripe) {

    static final int MAX_DEVICES = 300;

    /** @param maxDevices devices per user on the free plan */
    record Free(@DefaultValue("2") int maxDevices) {}

    /**
     * @param priceId the Stripe price (recurring) of the plan, {@code price_...}
     * @param maxDevices devices per user on the plan
     * @param label the name shown on the billing page
     */
    record Paid(@DefaultValue("") String priceId, Integer maxDevices, String label) {
        Paid {
            priceId = priceId == null ? "" : priceId.strip();
        }

        Paid orElse(int defaultMax, String defaultLabel) {
            return new Paid(priceId, maxDevices == null ? defaultMax : maxDevices,
                    label == null || label.isBlank() ? defaultLabel : label.strip());
        }
    }

    /**
     * @param apiBase Stripe's API (a local fake in tests)
     * @param secretKey the secret API key ({@code sk_live_...} / {@code sk_test_...})
     * @param webhookSecret the webhook endpoint's signing secret ({@code whsec_...})
     * @param signatureTolerance how old a webhook signature may be
     * @param timeout connect and read timeout of API calls
     * @param redirectOrigins the origins Checkout and the portal live on: the billing page's forms may be
     *     redirected there (its Content-Security-Policy {@code form-action})
     */
    record Stripe(
            @DefaultValue("https://api.stripe.com") URI apiBase,
            @DefaultValue("") String secretKey,
            @DefaultValue("") String webhookSecret,
            @DefaultValue("300s") Duration signatureTolerance,
            @DefaultValue("10s") Duration timeout,
            @DefaultValue({"https://checkout.stripe.com", "https://billing.stripe.com"}) List<String> redirectOrigins) {
        Stripe {
            secretKey = secretKey == null ? "" : secretKey.strip();
            webhookSecret = webhookSecret == null ? "" : webhookSecret.strip();
            redirectOrigins = List.copyOf(redirectOrigins);
        }
    }

    BillingSettings {
        mode = mode == null ? "none" : mode.strip().toLowerCase(Locale.ROOT);
        pro = pro.orElse(25, "Pro");
        business = business.orElse(MAX_DEVICES, "Business");
        if (pastDueGrace.isNegative()) {
            throw new IllegalArgumentException("virtdevice.billing.past-due-grace must not be negative");
        }
        for (int max : new int[] {free.maxDevices(), pro.maxDevices(), business.maxDevices()}) {
            if (max < 0 || max > MAX_DEVICES) {
                throw new IllegalArgumentException("virtdevice.billing plan device limits must be between 0 and "
                        + MAX_DEVICES + " (Alexa's endpoint limit), not " + max);
            }
        }
        boolean keys = !stripe.secretKey().isEmpty() || !stripe.webhookSecret().isEmpty();
        if (keys && (stripe.secretKey().isEmpty() || stripe.webhookSecret().isEmpty())) {
            throw new IllegalArgumentException("Stripe needs both virtdevice.billing.stripe.secret-key and "
                    + "virtdevice.billing.stripe.webhook-secret");
        }
        if (keys && !"plans".equals(mode)) {
            throw new IllegalArgumentException("Stripe keys are set but virtdevice.billing.mode is '" + mode
                    + "': set it to 'plans' (or remove the keys for a self-hosted instance without billing)");
        }
        if (keys && (pro.priceId().isEmpty() || business.priceId().isEmpty())) {
            throw new IllegalArgumentException("Stripe needs virtdevice.billing.pro.price-id and "
                    + "virtdevice.billing.business.price-id");
        }
        if (signatureToleranceInvalid(stripe.signatureTolerance())) {
            throw new IllegalArgumentException("virtdevice.billing.stripe.signature-tolerance: 1 s to 1 h");
        }
    }

    private static boolean signatureToleranceInvalid(Duration d) {
        return d.toSeconds() < 1 || d.toSeconds() > 3600;
    }

    /** Stripe is configured (keys present, plans mode). */
    boolean stripeEnabled() {
        return !stripe.secretKey().isEmpty();
    }

    boolean plans() {
        return "plans".equals(mode);
    }

    /** The paid plan of a tier name ({@code pro}, {@code business}), or null. */
    Paid paid(String tier) {
        return switch (tier) {
            case "pro" -> pro;
            case "business" -> business;
            default -> null;
        };
    }
}
