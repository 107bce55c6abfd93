package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

/** The plan's device limit holds under concurrency, in the database (D-08). */
@IntegrationTest
class DeviceLimitTests {

    private static final String INSERT = """
            insert into devices (tenant_id, user_id, name, friendly_name, device_type)
            values (:t, :u, :name, :name, 'switch')
            """;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    @Test
    void letsExactlyTheLimitOfParallelInsertsThrough() throws Exception {
        TestDatabase db = TestDatabase.of(context);
        TestUser user = new Fixtures(db.dataSource(), hasher).owner(2);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<DatabaseErrors>> attempts = new ArrayList<>();

        try (ExecutorService pool = Executors.newFixedThreadPool(20)) {
            for (int i = 0; i < 20; i++) {
                String name = "Race " + i;
                attempts.add(pool.submit(() -> {
                    start.await();
                    try {
                        db.runAs(user.context(), jdbc -> jdbc.sql(INSERT).param("t", user.tenantId())
                                .param("u", user.userId()).param("name", name).update());
                        return null;
                    } catch (RuntimeException e) {
                        return DatabaseErrors.of(e).orElseThrow(() -> e);
                    }
                }));
            }
            start.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }

        List<DatabaseErrors> refusals = new ArrayList<>();
        for (Future<DatabaseErrors> attempt : attempts) {
            if (attempt.get() != null) {
                refusals.add(attempt.get());
            }
        }
        assertThat(refusals).hasSize(18).allSatisfy(refusal -> {
            assertThat(refusal.sqlState()).isEqualTo("VD001");
            // DETAIL: limit, the user's device count, billing mode (V012)
            assertThat(refusal.detail()).isEqualTo("2,2,plans");
        });
        assertThat(db.superuser().sql("select count(*) from devices where user_id = :u").param("u", user.userId())
                .query(Long.class).single()).isEqualTo(2);
    }

    @Test
    void countsTheHigherLimitOfAnActivePlan() {
        TestDatabase db = TestDatabase.of(context);
        TestUser user = new Fixtures(db.dataSource(), hasher).owner(3);

        for (int i = 0; i < 3; i++) {
            String name = "Device " + i;
            db.runAs(user.context(), jdbc -> jdbc.sql(INSERT).param("t", user.tenantId()).param("u", user.userId())
                    .param("name", name).update());
        }
        DatabaseErrors fourth = TestDatabase.refusal(() -> db.runAs(user.context(), jdbc -> jdbc.sql(INSERT)
                .param("t", user.tenantId()).param("u", user.userId()).param("name", "Device 3").update()));

        assertThat(fourth.sqlState()).isEqualTo("VD001");
        assertThat(fourth.detail()).isEqualTo("3,3,plans");
    }
}
