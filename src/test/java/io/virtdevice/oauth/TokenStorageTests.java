package io.virtdevice.oauth;

import static io.virtdevice.oauth.OAuthFlow.ALEXA;
import static io.virtdevice.oauth.OAuthFlow.ALEXA_NA;
import static io.virtdevice.oauth.OAuthFlow.MOBILE;
import static io.virtdevice.oauth.OAuthFlow.MOBILE_REDIRECT;
import static io.virtdevice.oauth.OAuthFlow.request;
import static io.virtdevice.oauth.OAuthFlow.state;
import static io.virtdevice.testing.TestDatabase.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.web.DatabaseErrors;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Codes, consent-step secrets, tokens and client secrets are stored only as SHA-256 (D-09): a dump of the
 * OAuth tables, read here as the superuser, contains none of them, and the app role cannot read the hashes.
 */
@IntegrationTest
class TokenStorageTests {

    static final List<String> OAUTH_TABLES = List.of("oauth_clients", "oauth_tokens", "oauth_authorizations",
            "oauth_consents");

    @LocalServerPort
    int port;

    @Autowired
    DataSource dataSource;

    @Autowired
    PasswordHasher hasher;

    @Autowired
    ApplicationContext context;

    OAuthFlow flow;
    TestDatabase db;
    Fixtures.TestUser user;

    @BeforeEach
    void setUp() {
        flow = new OAuthFlow(port);
        db = TestDatabase.of(context);
        user = new Fixtures(dataSource, hasher).owner();
    }

    @Test
    void keepsNoIssuedSecretInPlainTextInAnyOAuthTable() {
        List<String> secrets = new ArrayList<>(OAuthFlow.SECRETS.values());
        // the consent-step secret and a code, captured before anything is redeemed
        Api browser = flow.browser();
        Api.Response page = flow.consentPage(browser,
                flow.signInThrough(browser, request(ALEXA, ALEXA_NA, "read write", state(), null), user.email()));
        secrets.add(OAuthFlow.hidden(page, "state"));
        String code = OAuthFlow.redirectParameters(
                flow.submitConsent(browser, page, List.of("read", "write"), true, false), ALEXA_NA).get("code");
        secrets.add(code);
        assertNoneStored(secrets);

        OAuthFlow.Tokens tokens = OAuthFlow.tokens(flow.redeem(ALEXA, code, ALEXA_NA, null));
        OAuthFlow.Tokens refreshed = OAuthFlow.tokens(flow.refresh(ALEXA, tokens.refreshToken()));
        OAuthFlow.Pkce pkce = OAuthFlow.Pkce.create();
        String mobileCode = flow.code(flow.browser(), request(MOBILE, MOBILE_REDIRECT, "read", state(), pkce), user.email());
        OAuthFlow.Tokens mobile = OAuthFlow.tokens(flow.redeem(MOBILE, mobileCode, MOBILE_REDIRECT, pkce));
        assertThat(flow.use(ALEXA, refreshed.accessToken())).isEqualTo(200);
        flow.revoke(MOBILE, mobile.refreshToken());
        secrets.addAll(List.of(tokens.accessToken(), tokens.refreshToken(), refreshed.accessToken(),
                refreshed.refreshToken(), mobileCode, mobile.accessToken(), mobile.refreshToken(), pkce.verifier()));

        assertNoneStored(secrets);
        // ...while each token is findable by its hash
        for (String token : List.of(tokens.accessToken(), refreshed.accessToken(), mobile.accessToken())) {
            assertThat(count("select count(*) from oauth_tokens where access_token_hash = sha256(convert_to(:t, 'UTF8'))",
                    token)).isOne();
        }
        for (String token : List.of(tokens.refreshToken(), refreshed.refreshToken(), mobile.refreshToken())) {
            assertThat(count("select count(*) from oauth_tokens where refresh_token_hash = sha256(convert_to(:t, 'UTF8'))",
                    token)).isOne();
        }
        assertThat(count("select count(*) from oauth_authorizations where code_hash = sha256(convert_to(:t, 'UTF8'))",
                code)).isOne();
        assertThat(count("select count(*) from oauth_clients where client_secret_hash = sha256(convert_to(:t, 'UTF8'))",
                OAuthFlow.SECRETS.get(ALEXA))).isOne();
    }

    @Test
    void refusesTheAppRoleAnyReadOfAHashColumn() {
        for (String sql : List.of("select code_hash from oauth_authorizations",
                "select consent_state_hash from oauth_authorizations", "select access_token_hash from oauth_tokens",
                "select refresh_token_hash from oauth_tokens", "select * from oauth_clients",
                "select count(*) from oauth_authorizations where code_hash is not null")) {
            DatabaseErrors error = refusal(() -> db.as(user.context(), jdbc -> jdbc.sql(sql).query().listOfRows()));
            assertThat(error.sqlState()).as(sql).isEqualTo("42501");
        }
    }

    @Test
    void refusesTheAppRoleAnyWriteToTheClients() {
        DatabaseErrors error = refusal(() -> db.as(user.context(), jdbc -> jdbc.sql("""
                        update oauth_clients set redirect_uris = '{https://evil.example.test/cb}'
                        """).update()));

        assertThat(error.sqlState()).isEqualTo("42501");
        assertThat(db.superuser().sql("select redirect_uris[1] from oauth_clients where client_id = :c")
                .param("c", ALEXA).query(String.class).single()).isEqualTo(ALEXA_NA);
    }

    private void assertNoneStored(List<String> secrets) {
        JdbcClient superuser = db.superuser();
        List<Map<String, Object>> columns = superuser.sql("""
                        select table_name, column_name from information_schema.columns
                         where table_schema = 'public' and table_name = any (:tables)
                        """).param("tables", OAUTH_TABLES.toArray(String[]::new)).query().listOfRows();
        assertThat(columns).hasSizeGreaterThan(40);
        for (String secret : secrets) {
            String hex = HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8));
            for (Map<String, Object> column : columns) {
                String sql = "select count(*) from " + column.get("table_name") + " where " + column.get("column_name")
                        + "::text like '%' || :plain || '%' or " + column.get("column_name") + "::text like '%' || :hex || '%'";
                long hits = superuser.sql(sql).param("plain", secret).param("hex", hex).query(Long.class).single();
                assertThat(hits).as(secret.substring(0, 8) + "... in " + column.get("table_name") + "."
                        + column.get("column_name")).isZero();
            }
        }
    }

    private long count(String sql, String token) {
        return db.superuser().sql(sql).param("t", token).query(Long.class).single();
    }
}
