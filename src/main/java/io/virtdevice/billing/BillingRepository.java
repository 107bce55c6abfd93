package io.virtdevice.billing;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The tenant's plan and the one write path, {@code app.apply_stripe_event()} (V012). */
@Repository
class BillingRepository {

    private static final String PLAN = """
            select billing, owner_id, tier, max_devices, status, paid_tier, paid_max_devices, current_period_end,
                   cancel_at_period_end, canceled_at, trial_end, grace_ends, has_customer
              from app.tenant_plan()
            """;
    // the app role reads its own subscription row only (RLS): a member never sees the owner's customer id
    private static final String OWN_CUSTOMER = """
            select stripe_customer_id from subscriptions
             where user_id = app.current_user_id() and stripe_customer_id is not null
            """;
    private static final String APPLY = """
            select app.apply_stripe_event(:payload, :signature, cast(:subscription as jsonb), :fetchedAt)
            """;

    /** The plan row as {@code app.tenant_plan()} returns it. */
    record PlanRow(boolean billing, UUID ownerId, String tier, int maxDevices, String status, String paidTier,
            int paidMaxDevices, Instant currentPeriodEnd, boolean cancelAtPeriodEnd, Instant canceledAt,
            Instant trialEnd, Instant graceEnds, boolean hasCustomer) {}

    private final JdbcClient jdbc;

    BillingRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    PlanRow plan() {
        return jdbc.sql(PLAN).query(BillingRepository::planRow).single();
    }

    Optional<String> ownCustomer() {
        return jdbc.sql(OWN_CUSTOMER).query(String.class).optional();
    }

    /** Applies a verified event (the database checks the signature again); returns the outcome. */
    String apply(String payload, String signature, String subscriptionJson, Instant fetchedAt) {
        return jdbc.sql(APPLY)
                .param("payload", payload)
                .param("signature", signature)
                .param("subscription", subscriptionJson)
                .param("fetchedAt", fetchedAt == null ? null : OffsetDateTime.ofInstant(fetchedAt, ZoneOffset.UTC))
                .query(String.class)
                .single();
    }

    private static PlanRow planRow(ResultSet rs, int row) throws SQLException {
        return new PlanRow(rs.getBoolean("billing"), rs.getObject("owner_id", UUID.class), rs.getString("tier"),
                rs.getInt("max_devices"), rs.getString("status"), rs.getString("paid_tier"),
                rs.getInt("paid_max_devices"), instant(rs, "current_period_end"), rs.getBoolean("cancel_at_period_end"),
                instant(rs, "canceled_at"), instant(rs, "trial_end"), instant(rs, "grace_ends"),
                rs.getBoolean("has_customer"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
