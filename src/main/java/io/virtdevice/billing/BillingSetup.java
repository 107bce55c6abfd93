package io.virtdevice.billing;

import io.virtdevice.platform.database.AfterMigrate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.springframework.stereotype.Component;

/**
 * Writes the billing configuration into the database right after the migrations, as the owner role (like
 * the devices module's {@code DeviceLimits}): the free plan's limit, the past_due grace period, the
 * signature tolerance, the webhook signing secret and the price id → tier/limit table. The app role can
 * read none of it (the secret must stay out of its reach) and write none of it, so it cannot raise its own
 * limit; {@code app.apply_stripe_event()} and {@code app.tenant_plan()} read it as the definer role.
 */
@Component
class BillingSetup implements AfterMigrate {

    private static final String SETTINGS = """
            update app.billing_settings
               set free_max_devices = ?, past_due_grace = make_interval(secs => ?), signature_tolerance = ?,
                   webhook_secret = ?, updated_at = now()
            """;
    private static final String CLEAR_PRICES = "delete from app.billing_prices";
    private static final String PRICE = "insert into app.billing_prices (price_id, tier, max_devices) values (?, ?::subscription_tier, ?)";

    private final BillingSettings settings;

    BillingSetup(BillingSettings settings) {
        this.settings = settings;
    }

    @Override
    public void handle(Event event, Context context) {
        Connection connection = context.getConnection();
        try (PreparedStatement ps = connection.prepareStatement(SETTINGS)) {
            ps.setInt(1, settings.free().maxDevices());
            ps.setDouble(2, settings.pastDueGrace().toMillis() / 1000.0);
            ps.setInt(3, (int) settings.stripe().signatureTolerance().toSeconds());
            ps.setString(4, settings.stripeEnabled() ? settings.stripe().webhookSecret() : null);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("could not apply the billing settings", e);
        }
        try (PreparedStatement clear = connection.prepareStatement(CLEAR_PRICES);
                PreparedStatement insert = connection.prepareStatement(PRICE)) {
            clear.executeUpdate();
            for (String tier : new String[] {"pro", "business"}) {
                BillingSettings.Paid plan = settings.paid(tier);
                if (!plan.priceId().isEmpty()) {
                    insert.setString(1, plan.priceId());
                    insert.setString(2, tier);
                    insert.setInt(3, plan.maxDevices());
                    insert.executeUpdate();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not apply the billing prices (the same price id for two plans?)", e);
        }
    }

    @Override
    public String getCallbackName() {
        return "virtdevice-billing-settings";
    }
}
