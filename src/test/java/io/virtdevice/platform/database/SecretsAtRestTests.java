package io.virtdevice.platform.database;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.TestDatabase;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

/**
 * "No usable secret in a database dump": issue every kind of secret through the API (password, e-mail
 * verification token, password-reset token, API key, URL-trigger link), then read every text, json and
 * bytea column of every table as the superuser and look for each secret, both verbatim and as raw bytes.
 * Only their SHA-256 (or, for the password, an Argon2id PHC string) may be there.
 */
@IntegrationTest
class SecretsAtRestTests {

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @Test
    void noIssuedSecretIsStoredInUsableForm() {
        MailSink.start();
        TestDatabase db = TestDatabase.of(context);
        String email = Fixtures.uniqueEmail("dump");
        String password = "dump test passphrase 2026";
        Api api = new Api(port).withCsrf();
        assertThat(api.post("/api/v1/auth/signup", Map.of("tenantName", "Dump Home", "email", email,
                "password", password, "name", "Dee")).status()).isEqualTo(202);
        String verification = MailSink.token(email, "Confirm your email", "/verify-email");
        assertThat(api.post("/api/v1/auth/login", Map.of("email", email, "password", password)).status())
                .isEqualTo(200);
        String apiKey = api.post("/api/v1/api-keys", Map.of("name", "dump", "scopes", List.of("read", "write")))
                .json().path("key").asString();
        String device = api.post("/api/v1/devices", Map.of("name", "Dump switch", "type", "switch"))
                .json().path("id").asString();
        String link = api.post("/api/v1/devices/" + device + "/triggers", Map.of("name", "dump"))
                .json().path("url").asString();
        String trigger = link.substring(link.lastIndexOf('/') + 1);
        assertThat(new Api(port).withCsrf().post("/api/v1/auth/password-reset", Map.of("email", email)).status())
                .isEqualTo(202);
        String reset = MailSink.token(email, "Reset your", "/reset-password");

        List<String> secrets = List.of(password, verification, apiKey, trigger, reset);
        assertThat(secrets).allSatisfy(s -> assertThat(s).hasSizeGreaterThan(20));
        String dump = dumpEverything(db);

        for (String secret : secrets) {
            assertThat(dump).as("a secret is stored verbatim").doesNotContain(secret);
            assertThat(dump).as("a secret is stored as bytes").doesNotContain(HexFormat.of().formatHex(
                    secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        // what is there instead: the hash, and an Argon2id string for the password
        assertThat(dump).contains(HexFormat.of().formatHex(Tokens.sha256(apiKey)));
        assertThat(dump).contains(HexFormat.of().formatHex(Tokens.sha256(trigger)));
        assertThat(dump).contains("$argon2id$");
    }

    /** Every value of every text-like or binary column in schema public, as one string (bytea as hex). */
    private static String dumpEverything(TestDatabase db) {
        List<Map<String, Object>> columns = db.superuser().sql("""
                        select c.table_name, c.column_name, c.data_type
                          from information_schema.columns c
                          join information_schema.tables t
                            on t.table_schema = c.table_schema and t.table_name = c.table_name
                         where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
                           and c.data_type in ('text', 'character varying', 'character', 'bytea', 'jsonb', 'json', 'ARRAY')
                        """)
                .query()
                .listOfRows();
        StringBuilder dump = new StringBuilder();
        List<String> failures = new ArrayList<>();
        for (Map<String, Object> column : columns) {
            String table = (String) column.get("table_name");
            String name = (String) column.get("column_name");
            String expression = "bytea".equals(column.get("data_type"))
                    ? "encode(\"" + name + "\", 'hex')"
                    : "\"" + name + "\"::text";
            try {
                db.superuser().sql("select string_agg(" + expression + ", ' ') from \"" + table + "\"")
                        .query(String.class)
                        .optional()
                        .ifPresent(v -> dump.append(v).append('\n'));
            } catch (RuntimeException e) {
                failures.add(table + "." + name);
            }
        }
        assertThat(failures).as("columns that could not be read").isEmpty();
        return dump.toString();
    }
}
