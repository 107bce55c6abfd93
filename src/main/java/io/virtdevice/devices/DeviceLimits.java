package io.virtdevice.devices;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;
import org.flywaydb.core.api.callback.Callback;
import org.flywaydb.core.api.callback.Context;
import org.flywaydb.core.api.callback.Event;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Applies the configured device limit to the database right after the migrations, on the migration
 * connection, i.e. as the owner role: the app role can read {@code app.instance_limits} but not write it, so
 * it can never raise its own limit, and the database keeps enforcing it ({@code app.check_device_limit}).
 *
 * <ul>
 *   <li>{@code virtdevice.billing.mode=none} (the default, a self-hosted instance): every user may have
 *       {@code virtdevice.devices.max-per-user} devices (default 300, Alexa's endpoint limit);
 *   <li>{@code virtdevice.billing.mode=plans}: each user's subscription decides (the free plan's 2 until a
 *       billing provider, e.g. Stripe, sets others).
 * </ul>
 */
@Component
class DeviceLimits implements Callback {

    static final int MAX_CONFIGURABLE = 100_000;

    private static final Logger log = LoggerFactory.getLogger(DeviceLimits.class);

    private static final String APPLY = """
            update app.instance_limits set mode = ?, max_devices = ?, updated_at = now()
             where mode is distinct from ? or max_devices is distinct from ?
            """;

    private final String mode;
    private final int maxPerUser;

    DeviceLimits(@Value("${virtdevice.billing.mode:none}") String billingMode,
            @Value("${virtdevice.devices.max-per-user:300}") int maxPerUser) {
        this.mode = switch (billingMode.strip().toLowerCase(Locale.ROOT)) {
            case "none", "" -> "instance";
            case "plans" -> "plans";
            default -> throw new IllegalArgumentException("virtdevice.billing.mode must be 'none' or 'plans', not '"
                    + billingMode + "'");
        };
        if (maxPerUser < 0 || maxPerUser > MAX_CONFIGURABLE) {
            throw new IllegalArgumentException("virtdevice.devices.max-per-user must be between 0 and "
                    + MAX_CONFIGURABLE + ", not " + maxPerUser);
        }
        this.maxPerUser = maxPerUser;
    }

    @Override
    public boolean supports(Event event, Context context) {
        return event == Event.AFTER_MIGRATE;
    }

    @Override
    public boolean canHandleInTransaction(Event event, Context context) {
        return true;
    }

    @Override
    public void handle(Event event, Context context) {
        try (PreparedStatement ps = context.getConnection().prepareStatement(APPLY)) {
            ps.setString(1, mode);
            ps.setInt(2, maxPerUser);
            ps.setString(3, mode);
            ps.setInt(4, maxPerUser);
            if (ps.executeUpdate() > 0) {
                log.info("device limit: {}", mode.equals("instance")
                        ? maxPerUser + " devices per user (no billing)" : "each user's plan (billing mode 'plans')");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not apply the device limit", e);
        }
    }

    @Override
    public String getCallbackName() {
        return "virtdevice-device-limits";
    }
}
