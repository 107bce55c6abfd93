package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.env.Environment;

/**
 * Names people see are stored composed (Unicode NFC): "Cafe" + COMBINING ACUTE ACCENT and "Caf" + e-acute
 * look the same, so they are the same name (stored, shown and compared for uniqueness alike).
 */
@IntegrationTest
class UnicodeNameTests {

    static final String DECOMPOSED = "Cafe\u0301";
    static final String COMPOSED = "Caf\u00e9";

    @LocalServerPort
    int port;

    @Autowired
    Environment environment;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    TestAccounts accounts;

    @BeforeEach
    void setUp() {
        accounts = new TestAccounts(port, environment, dataSource, hasher);
    }

    @Test
    void deviceNamesAreStoredComposedAndUniqueInThatForm() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api key = new Api(port).bearer(owner.apiKey());

        Api.Response created = key.post("/api/v1/devices",
                Map.of("name", DECOMPOSED + " light", "type", "switch", "description", "by the " + DECOMPOSED));
        Api.Response twin = key.post("/api/v1/devices", Map.of("name", COMPOSED + " light", "type", "switch"));

        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        assertThat(created.json().path("name").asString()).isEqualTo(COMPOSED + " light");
        assertThat(created.json().path("description").asString()).isEqualTo("by the " + COMPOSED);
        assertThat(accounts.count("select count(*) from devices where user_id = ? and name = ?", owner.userId(),
                COMPOSED + " light")).isEqualTo(1);
        assertThat(twin.status()).as(twin.toString()).isEqualTo(409);

        String id = created.json().path("id").asString();
        Api.Response renamed = key.patch("/api/v1/devices/" + id, Map.of("name", "Jose\u0301's lamp"));
        assertThat(renamed.json().path("name").asString()).isEqualTo("Jos\u00e9's lamp");
    }

    @Test
    void peopleTeamsAndKeysAreNamedComposed() {
        Fixtures.TestUser owner = accounts.fixtures.owner();
        Api api = accounts.signedIn(owner.email(), Fixtures.PASSWORD);

        assertThat(api.patch("/api/v1/account", Map.of("name", "Ame\u0301lie")).json().path("name").asString())
                .isEqualTo("Am\u00e9lie");
        assertThat(api.patch("/api/v1/team", Map.of("name", DECOMPOSED + " crew")).status()).isEqualTo(200);
        Api.Response key = api.post("/api/v1/api-keys",
                Map.of("name", DECOMPOSED + " script", "scopes", List.of("read")));

        assertThat(key.status()).as(key.toString()).isEqualTo(201);
        assertThat(key.json().path("name").asString()).isEqualTo(COMPOSED + " script");
        assertThat(accounts.count("select count(*) from users where id = ? and name = 'Am\u00e9lie'", owner.userId()))
                .isEqualTo(1);
        assertThat(accounts.count("select count(*) from tenants where id = ? and name = ?", owner.tenantId(),
                COMPOSED + " crew")).isEqualTo(1);
    }

    @Test
    void signUpStoresComposedNames() {
        String email = Fixtures.uniqueEmail("nfc");

        Api.Response signedUp = accounts.api().post("/api/v1/auth/signup", Map.of("tenantName", DECOMPOSED + " home",
                "email", email, "password", Fixtures.PASSWORD, "name", "Zoe\u0308"));

        assertThat(signedUp.status()).as(signedUp.toString()).isBetween(200, 299);
        assertThat(accounts.count("select count(*) from users u join tenants t on t.id = u.tenant_id"
                + " where u.email = ? and u.name = 'Zo\u00eb' and t.name = ?", email, COMPOSED + " home")).isEqualTo(1);
    }
}
