package io.virtdevice.webhooks;

import io.virtdevice.platform.jobs.LeaseOwner;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import io.virtdevice.platform.jobs.SchedulerNudge;
import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TenantSql;
import io.virtdevice.testing.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * After a restart the relay (a db-scheduler task, started with the scheduler bean) stages the backlog before
 * the application has started {@link FirstAttempts}: those messages are sent as soon as it starts, not when
 * their first-attempt lease runs out (which made a restart's backlog wait a minute).
 */
@IntegrationTest
class FirstAttemptsStartTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    DeliverWebhookTask deliver;

    @Autowired
    ObjectProvider<SchedulerClient> scheduler;

    @Autowired
    SchedulerNudge nudge;

    @Autowired
    WebhookDeliveryRepository deliveries;

    @Autowired
    WebhookSettings settings;

    @Autowired
    PlatformTransactionManager transactions;

    @Autowired
    LeaseOwner leaseOwner;

    @Test
    void sendsWhatWasStagedBeforeItStartedWhenItStarts() {
        Fixtures.TestUser user = new Fixtures(dataSource, hasher).owner();
        Api api = new Api(port).bearer(user.apiKey());
        FirstAttempts starting = new FirstAttempts(deliver, scheduler, nudge, deliveries, settings, transactions,
                dataSource, leaseOwner);
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.trust(api.post("/api/v1/webhooks", Map.of("url", receiver.url("/early"))).json().path("secret")
                    .asString());
            UUID event = UUID.randomUUID();
            // staged (by the relay) and committed while the component has not started; a lease of an hour,
            // held by this live process, so no sweep hands it over
            new TenantSql(dataSource).as(user, jdbc -> {
                List<WebhookDeliveryRepository.Staged> staged = deliveries.stageForEvents(user.userId(), List.of(
                                new WebhookDeliveryRepository.EventMessage(event, UUID.randomUUID(),
                                        "doorbell.pressed", "{\"id\":\"" + event + "\"}")),
                        4, Duration.ofHours(1), leaseOwner.id());
                assertThat(staged).hasSize(1);
                starting.afterCommit(user.context(), staged);
                return null;
            });
            assertThat(receiver.deliveries()).isEmpty();

            starting.start();
            WebhookReceiver.Delivery delivery = receiver.await(1, Duration.ofSeconds(30)).get(0);
            assertThat(delivery.json().path("id").asString()).isEqualTo(event.toString());
            assertThat(delivery.signatureValid()).isTrue();
        } finally {
            starting.stop();
        }
    }
}
