package io.virtdevice.devices;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.TenantSql;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/** What the device test classes share: a fresh owner per call, an API client, SQL as that owner. */
abstract class DeviceTests {

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher passwordHasher;

    Fixtures fixtures() {
        return new Fixtures(dataSource, passwordHasher);
    }

    TenantSql sql() {
        return new TenantSql(dataSource);
    }

    Api api(Fixtures.TestUser user) {
        return new Api(port).bearer(user.apiKey());
    }

    /** Creates a device and returns its id, failing the test on anything but 201. */
    static UUID create(Api api, String name, String type) {
        Api.Response response = api.post("/api/v1/devices", Map.of("name", name, "type", type));
        if (response.status() != 201) {
            throw new AssertionError("device creation failed: " + response);
        }
        return UUID.fromString(response.json().path("id").asString());
    }

    long version(Api api, UUID id) {
        return api.get("/api/v1/devices/" + id).json().path("version").asLong();
    }
}
