package io.virtdevice.webhooks;

import io.virtdevice.platform.jobs.LeaseOwner;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.WebhookReceiver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A first-attempt lease names the process holding it; when that process is gone (its advisory lock went
 * with its session) the lease sweep hands the message over at once, long before the lease runs out. Leases
 * of live processes (this one, another instance) and leases without an owner are left to run.
 */
@IntegrationTest
class WebhookLeaseOwnerTests {

    @LocalServerPort
    int port;

    @Value("${virtdevice.database.embedded.actual-port}")
    int databasePort;

    @Value("${spring.datasource.password}")
    String appPassword;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    FirstAttempts firstAttempts;

    @Autowired
    LeaseOwner leaseOwner;

    @Test
    void handsOverTheMessagesOfAGoneProcessAtOnceAndLeavesLiveOnesAlone() throws SQLException {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        TenantSql sql = new TenantSql(dataSource);
        try (WebhookReceiver receiver = new WebhookReceiver();
                Connection otherInstance = connect()) {
            var created = api.post("/api/v1/webhooks", Map.of("url", receiver.url("/owners"), "events",
                    List.of("device.created"))).json();
            receiver.trust(created.path("secret").asString());
            UUID webhook = UUID.fromString(created.path("id").asString());
            // a process that took its lock and died (its session ended), another that is alive
            int gone = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
            try (Connection dead = connect()) {
                assertThat(lock(dead, gone)).isTrue();
            }
            int alive = ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
            assertThat(lock(otherInstance, alive)).isTrue();
            assertThat(leaseOwner.id()).isNotNull();

            String lease = "now() + interval '1 hour'";
            UUID orphan = stage(sql, user, webhook, lease, gone);
            UUID otherInstances = stage(sql, user, webhook, lease, alive);
            UUID mine = stage(sql, user, webhook, lease, leaseOwner.id());
            UUID anonymous = stage(sql, user, webhook, lease, null);

            firstAttempts.recoverExpiredLeases(); // (the sweep also runs by itself)
            List<WebhookReceiver.Delivery> received = receiver.await(1, Duration.ofSeconds(30));
            assertThat(received.get(0).id()).isEqualTo(WebhookDeliveryRepository.msgId(orphan));
            assertThat(received.get(0).signatureValid()).isTrue();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(sql.as(user, jdbc -> jdbc
                    .sql("select status from webhook_deliveries where id = :id").param("id", orphan)
                    .query(String.class).single())));

            firstAttempts.recoverExpiredLeases();
            List<UUID> leased = sql.as(user, jdbc -> jdbc.sql("""
                            select id from webhook_deliveries where webhook_id = :w and lease_until is not null""")
                    .param("w", webhook).query(UUID.class).list());
            assertThat(leased).containsExactlyInAnyOrder(otherInstances, mine, anonymous);
            assertThat(receiver.deliveries()).hasSize(1);
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + databasePort + "/virtdevice",
                "virtdevice_app", appPassword);
    }

    private static boolean lock(Connection c, int owner) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("select pg_try_advisory_lock(?, ?)")) {
            st.setInt(1, LeaseOwner.LOCK_SPACE);
            st.setInt(2, owner);
            try (var rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static UUID stage(TenantSql sql, Fixtures.TestUser user, UUID webhook, String leaseUntil, Integer owner) {
        UUID id = UUID.randomUUID();
        sql.as(user, jdbc -> jdbc.sql("""
                        insert into webhook_deliveries (id, tenant_id, user_id, webhook_id, event_id, msg_id, event_type,
                                                        payload, max_attempts, next_attempt_at, lease_until, lease_owner)
                        values (:id, :tenant, :user, :webhook, gen_random_uuid(), :msgId, 'device.created',
                                '{"type":"device.created"}', 4, now(), %s, :owner)""".formatted(leaseUntil))
                .param("id", id)
                .param("tenant", user.tenantId())
                .param("user", user.userId())
                .param("webhook", webhook)
                .param("msgId", WebhookDeliveryRepository.msgId(id))
                .param("owner", owner, java.sql.Types.INTEGER)
                .update());
        return id;
    }
}
