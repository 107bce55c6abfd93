package io.virtdevice.ifttt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.virtdevice.testing.fakes.FakeIftttRealtime;
import java.time.Duration;
import java.util.Map;
import io.virtdevice.testing.Api;
import tools.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Realtime notifications (shared/spec/ifttt.md §6), received by {@link FakeIftttRealtime}, which checks the
 * service key and the body: matching changes only, from every source, coalesced, batched by at most 1000,
 * kept through an IFTTT outage, and within each user's fair share (a noisy user waits, coalescing, and
 * nobody else does).
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

    /**
     * A change that reaches a notice while IFTTT is being told about it may come after IFTTT's poll: the
     * notice is sent again for it, not deleted with the first announcement (docs/decisions.md, "A change made
     * while its realtime notice was being sent").
     */
    @Test
    void aChangeMadeWhileItsNoticeIsBeingSentIsAnnouncedAgain() throws InterruptedException {
        Linked linked = linked();
        String[] lamp = device(linked.rest(), "Porch", "switch");
        String id = identity();
        poll(linked.ifttt(), "property_changed", Map.of("device", lamp[1]), "trigger_identity", id);
        REALTIME.holdNext(id);
        try {
            set(linked.rest(), lamp[0], Map.of("power", true));
            assertThat(REALTIME.awaitHeld(WAIT)).as("the first notice reached IFTTT").isTrue();

            // IFTTT has the notice and may have polled already; this change comes after
            set(linked.rest(), lamp[0], Map.of("power", false));
            await().atMost(WAIT).until(() -> linked.rest().get("/api/v1/ifttt").json().path("triggerIdentities")
                    .path("realtime").path("coalesced").asLong() == 1);
        } finally {
            REALTIME.release();
        }

        await().atMost(WAIT).until(() -> REALTIME.acceptedFor(id) == 2 && pending(linked) == 0);
        JsonNode item = linked.rest().get("/api/v1/ifttt").json().path("triggerIdentities").path("items").get(0);
        // two announcements, one change each: nothing was folded into one that IFTTT had already been told of
        assertThat(item.path("realtimeCoalesced").asLong()).isZero();
        assertThat(REALTIME.refused()).isEmpty();
    }

    @Test
    void sendsAtMostAThousandIdentitiesPerRequest() {
        Linked linked = linked();
        String[] bell = device(linked.rest(), "Bell", "doorbell");
        String prefix = identity() + "-";
        identities(linked, bell[1], prefix, 1100);

        assertThat(linked.rest().post("/api/v1/devices/" + bell[0] + "/press", "{}").status()).isEqualTo(200);

        await().atMost(WAIT).until(() -> accepted(prefix) == 1100);
        assertThat(REALTIME.received().stream().filter(n -> n.triggerIdentities().stream().anyMatch(i -> i.startsWith(prefix))))
                .hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(n -> assertThat(n.triggerIdentities()).hasSizeLessThanOrEqualTo(1000));
        assertThat(REALTIME.refused()).isEmpty();
    }

    @Test
    void aNoisyUsersNoticesWaitForTheirFairShareCoalescingMeanwhileWhileAnotherUsersGoOut() {
        Linked noisy = linked();
        String[] busy = device(noisy.rest(), "Busy bell", "doorbell");
        String[] bell = device(noisy.rest(), "Front bell", "doorbell");
        String many = identity() + "-";
        String few = identity() + "-";
        identities(noisy, busy[1], many, 2000);
        identities(noisy, bell[1], few, 50);
        double delayedBefore = metric("virtdevice_ifttt_realtime_delayed_total{reason=\"user-share\"}");
        double coalescedBefore = metric("virtdevice_ifttt_realtime_coalesced_total");

        // 2000 identities for one press spend the user's share (a burst of 2000, then one every 300 ms) ...
        assertThat(noisy.rest().post("/api/v1/devices/" + busy[0] + "/press", "{}").status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> accepted(many) == 2000);
        // ... so the next press's 50 notices wait for their turn, and a press meanwhile folds into them
        assertThat(noisy.rest().post("/api/v1/devices/" + bell[0] + "/press", "{}").status()).isEqualTo(200);
        await().atMost(WAIT).until(() -> sql().count(noisy.user(),
                "select count(*) from ifttt_realtime_notices where user_id = :id and delayed > 0",
                noisy.user().userId()) > 0);
        assertThat(noisy.rest().post("/api/v1/devices/" + bell[0] + "/press", "{}").status()).isEqualTo(200);

        // another user is not slowed: their notice goes out while the noisy user's still wait
        Linked calm = linked();
        String[] lamp = device(calm.rest(), "Calm lamp", "switch");
        String on = identity();
        poll(calm.ifttt(), "device_turned_on", Map.of("device", lamp[1]), "trigger_identity", on);
        set(calm.rest(), lamp[0], Map.of("power", true));
        await().atMost(WAIT).until(() -> REALTIME.acceptedFor(on) == 1);
        assertThat(pending(noisy)).isPositive();
        JsonNode waiting = noisy.rest().get("/api/v1/ifttt").json().path("triggerIdentities").path("realtime");
        assertThat(waiting.path("pending").asInt()).isPositive();
        assertThat(waiting.path("delayed").asLong()).isPositive();

        // nothing dropped: every identity is announced in the end, none twice in one request
        await().atMost(Duration.ofMinutes(2)).until(() -> accepted(few) == 50 && pending(noisy) == 0);
        assertThat(REALTIME.received().stream().filter(FakeIftttRealtime.Notification::accepted)
                .filter(n -> n.triggerIdentities().stream().anyMatch(i -> i.startsWith(few))))
                .allSatisfy(n -> assertThat(n.triggerIdentities()).doesNotHaveDuplicates());
        assertThat(REALTIME.refused()).isEmpty();

        // shown in the diagnostics (API and page) and in the metrics
        JsonNode after = noisy.rest().get("/api/v1/ifttt").json().path("triggerIdentities");
        long delayed = after.path("realtime").path("delayed").asLong();
        long coalesced = after.path("realtime").path("coalesced").asLong();
        assertThat(after.path("realtime").path("pending").asInt()).isZero();
        assertThat(delayed).isPositive();
        assertThat(coalesced).isPositive();
        assertThat(after.path("items")).anySatisfy(i -> assertThat(i.path("realtimeDelayed").asLong()).isPositive())
                .anySatisfy(i -> assertThat(i.path("realtimeCoalesced").asLong()).isPositive());
        Api browser = new Api(port).withCsrf();
        assertThat(browser.post("/api/v1/auth/login", Map.of("email", noisy.user().email(), "password",
                io.virtdevice.testing.Fixtures.PASSWORD)).status()).isEqualTo(200);
        String page = browser.send("GET", "/integrations/ifttt", null, Map.of("Accept", "text/html")).body();
        assertThat(page).contains("<dd id=\"ifttt-delayed\">" + delayed + "</dd>")
                .contains("<dd id=\"ifttt-coalesced\">" + coalesced + "</dd>");
        assertThat(metric("virtdevice_ifttt_realtime_delayed_total{reason=\"user-share\"}") - delayedBefore)
                .isGreaterThanOrEqualTo(delayed);
        assertThat(metric("virtdevice_ifttt_realtime_coalesced_total") - coalescedBefore).isPositive();
    }

    private void identities(Linked linked, String device, String prefix, int count) {
        sql().as(linked.user(), jdbc -> jdbc.sql("""
                        insert into ifttt_trigger_subscriptions (tenant_id, user_id, trigger_type, trigger_fields,
                                                                 trigger_identity)
                        select :tenant, :user, 'doorbell_pressed', jsonb_build_object('device', cast(:device as text)),
                               :prefix || g
                          from generate_series(1, :count) g
                        """).param("tenant", linked.user().tenantId()).param("user", linked.user().userId())
                .param("device", device).param("prefix", prefix).param("count", count).update());
    }

    private double metric(String series) {
        String body = new Api(port).bearer(io.virtdevice.testing.IntegrationTest.METRICS_TOKEN)
                .send("GET", "/actuator/prometheus", null, Map.of("Accept", "text/plain")).body();
        return body.lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(
                l.substring(series.length() + 1).trim())).sum();
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
