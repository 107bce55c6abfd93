package io.virtdevice.devices;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.interceptor.DefaultTransactionAttribute;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The write path in one round trip (docs/decisions.md): a change of a device this instance changed before is
 * computed from the remembered state and written by one statement, after the one that binds the tenant context,
 * that checks the version; without a caller's transaction the two are the whole (implicit) transaction. These tests change devices behind that memory's back and check that every change still starts from
 * the device's committed state.
 */
@IntegrationTest
class DeviceWritePathTests extends DeviceTests {

    // what another instance does to a dimmer: a new brightness and the version bump that goes with it
    private static final String CHANGED_ELSEWHERE = """
            with p as (update device_properties set value = :value where device_id = :id and name = 'brightness')
            update devices set version = version + 1 where id = :id
            """;

    @Autowired
    DeviceEventRecorder recorder;

    @Autowired
    DeviceManagement devices;

    @Autowired
    PlatformTransactionManager transactions;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    MeterRegistry meters;

    private double count(String counter) {
        return meters.get("virtdevice.device.changes." + counter).counter().count();
    }

    private double wrongGuesses() {
        return count("stale.guess");
    }

    @Test
    void consecutiveChangesRecordEachVersionEventAndActivityEntryOnce() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Lamp", "dimmer");
        double oneStatement = count("one.statement");
        for (int i = 1; i <= 4; i++) {
            Api.Response response = api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 10 * i));
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("ETag")).isEqualTo("\"" + (i + 1) + "\"");
            assertThat(response.json().path("properties").path("brightness").path("lastChangedAt").isNull()).isFalse();
        }
        // the first change reads the device under its lock; the next three start from what it left (other
        // tests may make one-statement changes at the same time, hence at least)
        assertThat(count("one.statement") - oneStatement).isGreaterThanOrEqualTo(3);
        List<DeviceStateChanged> events = recorder.of(id);
        assertThat(events).extracting(DeviceStateChanged::version).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(events.get(4).changes()).containsExactly(new DeviceStateChanged.Change("brightness", 30L, 40L));
        assertThat(sql().count(user, "select count(*) from device_events where device_id = :id", id)).isEqualTo(5);
        assertThat(sql().count(user, "select count(*) from activity_logs where device_id = :id", id)).isEqualTo(5);
        String old = sql().as(user, jdbc -> jdbc.sql("""
                        select details->'changes'->0->>'old' from activity_logs
                         where device_id = :id order by created_at desc, id desc limit 1
                        """).param("id", id).query(String.class).single());
        assertThat(old).isEqualTo("30");
    }

    /**
     * From a connection's 5th use of a query pgjdbc prepares it on the server, and it then sends a Sync between
     * the statements of a multi-statement query whose result rows it cannot bound (text columns): the context
     * statement's implicit transaction ended there, and the write ran without the context and wrote nothing.
     * The test thread gets the same pooled connection again and again, so it crosses that threshold.
     */
    @Test
    void aDeviceChangedManyTimesOnOneConnectionIsChangedInOneStatementEveryTime() {
        Fixtures.TestUser user = fixtures().owner();
        UUID id = create(api(user), "Lamp", "dimmer");
        double oneStatement = count("one.statement");
        double contextLost = count("context.lost");
        TenantScope.run(user.context(), () -> {
            for (int i = 1; i <= 15; i++) {
                Device device = devices.setProperties(id, Map.of("brightness", JsonNodeFactory.instance.numberNode(i)),
                        null, ChangeSource.API);
                assertThat(device.version()).isEqualTo(i + 1);
            }
        });
        // the first change reads the device under its lock, the other 14 are one statement each
        assertThat(count("one.statement") - oneStatement).isGreaterThanOrEqualTo(14);
        assertThat(count("context.lost")).isEqualTo(contextLost);
        assertThat(sql().count(user, "select count(*) from device_events where device_id = :id", id)).isEqualTo(16);
        assertThat(sql().count(user, "select count(*) from activity_logs where device_id = :id", id)).isEqualTo(16);
        assertThat(recorder.of(id).getLast().changes())
                .containsExactly(new DeviceStateChanged.Change("brightness", 14L, 15L));
    }

    @Test
    void aDeviceChangedElsewhereIsChangedFromItsCommittedState() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Lamp", "dimmer");
        assertThat(api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 40)).status()).isEqualTo(200);
        sql().as(user, jdbc -> jdbc.sql(CHANGED_ELSEWHERE).param("id", id).param("value", "70").update());
        double wrongGuesses = wrongGuesses();

        Api.Response response = api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 50));
        assertThat(wrongGuesses()).isGreaterThan(wrongGuesses);

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("ETag")).isEqualTo("\"4\"");
        assertThat(recorder.of(id).getLast().changes())
                .containsExactly(new DeviceStateChanged.Change("brightness", 70L, 50L));
        // a value the remembered state already had is still a change if the device no longer has it
        sql().as(user, jdbc -> jdbc.sql(CHANGED_ELSEWHERE).param("id", id).param("value", "20").update());
        Api.Response again = api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 50));
        assertThat(again.header("ETag")).isEqualTo("\"6\"");
        assertThat(recorder.of(id).getLast().changes())
                .containsExactly(new DeviceStateChanged.Change("brightness", 20L, 50L));
    }

    @Test
    void aChangeThatRolledBackIsNeverTakenForTheDevicesState() {
        Fixtures.TestUser user = fixtures().owner();
        Api api = api(user);
        UUID id = create(api, "Lamp", "dimmer");
        assertThat(api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 40)).status()).isEqualTo(200);
        // version 3 with brightness 60, rolled back ...
        TenantScope.run(user.context(), () -> new TransactionTemplate(transactions).executeWithoutResult(status -> {
            devices.setProperties(id, Map.of("brightness", JsonNodeFactory.instance.numberNode(60)), null,
                    ChangeSource.API);
            status.setRollbackOnly();
        }));
        // ... then version 3 with brightness 70, committed elsewhere
        sql().as(user, jdbc -> jdbc.sql(CHANGED_ELSEWHERE).param("id", id).param("value", "70").update());

        api.put("/api/v1/devices/" + id + "/properties", Map.of("brightness", 50));

        assertThat(recorder.of(id).getLast().changes())
                .containsExactly(new DeviceStateChanged.Change("brightness", 70L, 50L));
        assertThat(version(api, id)).isEqualTo(4);
    }

    @Test
    void aDeletedDeviceIsNotFoundAndAnotherUsersDeviceIsUntouched() {
        Fixtures.TestUser owner = fixtures().owner();
        Fixtures.TestUser other = fixtures().owner();
        UUID id = create(api(owner), "Lamp", "switch");
        assertThat(api(owner).put("/api/v1/devices/" + id + "/properties", Map.of("power", true)).status())
                .isEqualTo(200);

        assertThat(api(other).put("/api/v1/devices/" + id + "/properties", Map.of("power", false)).status())
                .isEqualTo(404);
        assertThat(version(api(owner), id)).isEqualTo(2);
        sql().as(owner, jdbc -> jdbc.sql("delete from devices where id = :id").param("id", id).update());
        assertThat(api(owner).put("/api/v1/devices/" + id + "/properties", Map.of("power", false)).status())
                .isEqualTo(404);
    }

    @Test
    void aTransactionLabelledToBindTheContextItselfSeesNoTenantRowUntilItDoes() {
        Fixtures.TestUser user = fixtures().owner();
        UUID id = create(api(user), "Lamp", "switch");
        DefaultTransactionAttribute labelled = new DefaultTransactionAttribute();
        labelled.setLabels(List.of(TenantScopedTransactionManager.CONTEXT_IN_FIRST_STATEMENT));
        long[] seen = new long[2];
        TenantScope.run(user.context(), () -> {
            TransactionStatus status = transactions.getTransaction(labelled);
            try {
                seen[0] = jdbc.sql("select count(*) from devices where id = :id").param("id", id)
                        .query(Long.class).single();
                Map<String, Object> params = new java.util.HashMap<>(TenantScopedTransactionManager.contextParams());
                jdbc.sql(TenantScopedTransactionManager.CONTEXT_STATEMENT).params(params).query().listOfRows();
                seen[1] = jdbc.sql("select count(*) from devices where id = :id").param("id", id)
                        .query(Long.class).single();
            } finally {
                transactions.rollback(status);
            }
        });
        assertThat(seen).containsExactly(0, 1);
    }
}
