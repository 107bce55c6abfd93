package io.virtdevice.platform.database;

import static io.virtdevice.testing.TestDatabase.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.Fixtures.TestUser;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.math.BigDecimal;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Values are bounded and typed by the database itself (D-15), so a bug in the Java checks or a raw SQL
 * write cannot store what the API would refuse.
 */
@IntegrationTest
class ValueConstraintTests {

    private static final String INSERT_PROPERTY = """
            insert into device_properties (tenant_id, user_id, device_id, name, value, data_type, min_value, max_value)
            values (:t, :u, :d, :name, :value, cast(:type as property_data_type), :min, :max)
            """;

    @Autowired
    ApplicationContext context;

    @Autowired
    PasswordHasher hasher;

    TestDatabase db;
    TestUser user;
    UUID device;

    @BeforeEach
    void aUserWithADevice() {
        db = TestDatabase.of(context);
        user = new Fixtures(db.dataSource(), hasher).owner();
        device = db.as(user.context(), jdbc -> jdbc.sql("""
                        insert into devices (tenant_id, user_id, name, friendly_name, device_type)
                        values (:t, :u, 'Lamp', 'Lamp', 'dimmer') returning id
                        """).param("t", user.tenantId()).param("u", user.userId()).query(UUID.class).single());
    }

    @Test
    void refusesAPropertyValueOver1024Bytes() {
        insertAsUser("label_ok", "x".repeat(1024), "string", null, null);

        DatabaseErrors ascii = refusal(() -> insertAsUser("label_long", "x".repeat(1025), "string", null, null));
        // 513 characters, 1026 bytes: the limit is on bytes, not characters
        DatabaseErrors multibyte = refusal(() -> insertAsUser("label_wide", "é".repeat(513), "string", null, null));

        assertThat(ascii.sqlState()).isEqualTo("23514");
        assertThat(ascii.constraint()).isEqualTo("device_properties_value_check");
        assertThat(multibyte.constraint()).isEqualTo("device_properties_value_check");
    }

    @Test
    void refusesABooleanThatIsNeitherTrueNorFalse() {
        DatabaseErrors asUser = refusal(() -> insertAsUser("on", "maybe", "boolean", null, null));
        DatabaseErrors asSuperuser = refusal(() -> insert(db.superuser(), "on", "maybe", "boolean", null, null));

        assertThat(asUser.sqlState()).isEqualTo("23514");
        assertThat(asUser.constraint()).isEqualTo("device_properties_value_matches_type");
        assertThat(asSuperuser.constraint()).isEqualTo("device_properties_value_matches_type");
    }

    @Test
    void refusesANumberOutsideItsRangeOnInsertAndUpdate() {
        BigDecimal min = BigDecimal.ZERO;
        BigDecimal max = BigDecimal.valueOf(100);
        insertAsUser("brightness", "50", "integer", min, max);

        DatabaseErrors insert = refusal(() -> insert(db.superuser(), "level", "150", "integer", min, max));
        DatabaseErrors update = refusal(() -> db.runAs(user.context(), jdbc -> jdbc.sql("""
                        update device_properties set value = '150' where device_id = :d and name = 'brightness'
                        """).param("d", device).update()));
        // the range comparison casts to numeric; it must never see a value that failed the pattern
        DatabaseErrors notANumber = refusal(() -> insertAsUser("level", "12abc", "integer", min, max));
        DatabaseErrors badFloat = refusal(() -> insertAsUser("temperature", "1e400", "float", null, null));

        assertThat(insert.constraint()).isEqualTo("device_properties_value_matches_type");
        assertThat(update.constraint()).isEqualTo("device_properties_value_matches_type");
        assertThat(notANumber.constraint()).isEqualTo("device_properties_value_matches_type");
        assertThat(badFloat.constraint()).isEqualTo("device_properties_value_matches_type");
        assertThat(db.superuser().sql("select value from device_properties where device_id = :d and name = 'brightness'")
                .param("d", device).query(String.class).single()).isEqualTo("50");
    }

    @Test
    void refusesAStringOutsideItsAllowedValues() {
        db.runAs(user.context(), jdbc -> jdbc.sql("""
                        insert into device_properties (tenant_id, user_id, device_id, name, value, data_type, allowed_values)
                        values (:t, :u, :d, 'mode', 'eco', 'string', '{eco,comfort}')
                        """).param("t", user.tenantId()).param("u", user.userId()).param("d", device).update());

        DatabaseErrors error = refusal(() -> db.runAs(user.context(), jdbc -> jdbc.sql("""
                        update device_properties set value = 'turbo' where device_id = :d and name = 'mode'
                        """).param("d", device).update()));

        assertThat(error.constraint()).isEqualTo("device_properties_value_matches_type");
    }

    @Test
    void acceptsOnlyAlexasCharacterSetInEndpointIds() {
        String longest = "a".repeat(256);
        db.superuser().sql("update devices set alexa_endpoint_id = :id where id = :d")
                .param("id", longest).param("d", device).update();

        DatabaseErrors space = refusal(() -> db.superuser().sql("update devices set alexa_endpoint_id = 'a b' where id = :d")
                .param("d", device).update());
        DatabaseErrors tooLong = refusal(() -> db.superuser().sql("update devices set alexa_endpoint_id = :id where id = :d")
                .param("id", longest + "a").param("d", device).update());

        assertThat(space.sqlState()).isEqualTo("23514");
        assertThat(space.constraint()).isEqualTo("devices_alexa_endpoint_id_charset");
        assertThat(tooLong.sqlState()).isEqualTo("22001");
    }

    private void insertAsUser(String name, String value, String type, BigDecimal min, BigDecimal max) {
        db.runAs(user.context(), jdbc -> insert(jdbc, name, value, type, min, max));
    }

    private void insert(JdbcClient jdbc, String name, String value, String type, BigDecimal min, BigDecimal max) {
        jdbc.sql(INSERT_PROPERTY)
                .param("t", user.tenantId())
                .param("u", user.userId())
                .param("d", device)
                .param("name", name)
                .param("value", value)
                .param("type", type)
                .param("min", min)
                .param("max", max)
                .update();
    }
}
