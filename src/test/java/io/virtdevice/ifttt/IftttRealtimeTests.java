package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.fakes.FakeIftttRealtime;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Realtime notifications (shared/spec/ifttt.md §6), received by {@link FakeIftttRealtime}, which checks the
 * service key and the body: matching changes only, from every source, coalesced, batched by at most 1000,
 * and kept through an IFTTT outage.
 */
class IftttRealtimeTests extends IftttTestSupport {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @AfterEach
    void endOutage() {
        REALTIME.outage(false);
    }

    @Test
    void tellsIftttAboutChangesThatMatchAStoredTriggerIdentity() {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Lamp", "switch");
        String on = identity();
        String off = identity();
        String forgotten = identity();
        poll(linked.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", on);
        poll(linked.ifttt(), "device_turned_off", Map.of("device", lamp[1]), "trigger_identity", off);
        poll(linked.ifttt(), "property_changed", Map.of("device", lamp[1]), "trigger_identity", forgotten);
        assertThat(linked.ifttt().delete("/ifttt/v1/triggers/property_changed/trigger_identity/" + forgotten).status())
                .isEqualTo(200);

        set(linked.rest(), lamp[0], Map.of("power", true));

        await().atMost(WAIT).until(() -> REALTIME.acceptedFor(on) == 1);
        assertThat(REALTIME.attemptsFor(off)).isZero();
        assertThat(REALTIME.attemptsFor(forgotten)).isZero();

        // an IFTTT action is a change like any other
        assertThat(act(linked.ifttt(), "turn_device_off", Map.of("device", lamp[1])).status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> REALTIME.acceptedFor(off) == 1);
        await().atMost(WAIT).untilAsserted(() -> assertThat(linked.rest().get("/api/v1/ifttt").json()
                .path("triggerIdentities").path("lastNotifiedAt").isNull()).isFalse());
        assertThat(REALTIME.attemptsFor(forgotten)).isZero();
        assertThat(REALTIME.refused()).isEmpty();
    }

    @Test
    void keepsNoticesThroughAnOutageAndCoalescesThem() {
        Linked linked = linked();
        String[] bell = device(linked.rest(), "Bell", "doorbell");
        String id = identity();
        poll(linked.ifttt(), "doorbell_pressed", Map.of("device", bell[1]), "trigger_identity", id);
        REALTIME.outage(true);

        for (int i = 0; i < 3; i++) {
            assertThat(linked.rest().post("/api/v1/devices/" + bell[0] + "/press", "{}").status()).isEqualTo(200);
        }

        await().atMost(WAIT).until(() -> REALTIME.attemptsFor(id) >= 2);
        assertThat(REALTIME.acceptedFor(id)).isZero();
        assertThat(pending(linked)).isEqualTo(1);
        REALTIME.outage(false);
        await().atMost(WAIT).until(() -> REALTIME.acceptedFor(id) == 1 && pending(linked) == 0);
        assertThat(REALTIME.acceptedFor(id)).isEqualTo(1);
        assertThat(REALTIME.refused()).isEmpty();
    }

    @Test
    void sendsAtMostAThousandIdentitiesPerRequest() {
        Linked linked = linked();
        String[] bell = device(linked.rest(), "Bell", "doorbell");
        String prefix = identity() + "-";
        sql().as(linked.user(), jdbc -> jdbc.sql("""
                        insert into ifttt_trigger_subscriptions (tenant_id, user_id, trigger_type, trigger_fields,
                                                                 trigger_identity)
                        select :tenant, :user, 'doorbell_pressed', jsonb_build_object('device', cast(:device as text)),
                               :prefix || g
                          from generate_series(1, 1100) g
                        """).param("tenant", linked.user().tenantId()).param("user", linked.user().userId())
                .param("device", bell[1]).param("prefix", prefix).update());

        assertThat(linked.rest().post("/api/v1/devices/" + bell[0] + "/press", "{}").status()).isEqualTo(200);

        await().atMost(WAIT).until(() -> accepted(prefix) == 1100);
        assertThat(REALTIME.received().stream().filter(n -> n.triggerIdentities().stream().anyMatch(i -> i.startsWith(prefix))))
                .hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(n -> assertThat(n.triggerIdentities()).hasSizeLessThanOrEqualTo(1000));
        assertThat(REALTIME.refused()).isEmpty();
    }

    private long accepted(String prefix) {
        return REALTIME.received().stream().filter(FakeIftttRealtime.Notification::accepted)
                .flatMap(n -> n.triggerIdentities().stream()).filter(i -> i.startsWith(prefix)).distinct().count();
    }

    private long pending(Linked linked) {
        return sql().count(linked.user(), "select count(*) from ifttt_realtime_notices where user_id = :id",
                linked.user().userId());
    }
}
