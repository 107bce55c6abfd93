package io.virtdevice.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.MailSink;
import io.virtdevice.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import javax.sql.DataSource;
import org.postgresql.Driver;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/** What the account tests share: signed-in clients, invited members, and two ways into the database. */
final class TestAccounts {

    static final String NEW_PASSWORD = "a brand new passphrase 42";

    final int port;
    final Fixtures fixtures;
    private final JdbcClient superuser;
    private final JdbcClient app;
    private final TransactionTemplate appTransactions;

    TestAccounts(int port, Environment environment, DataSource dataSource, PasswordHasher hasher) {
        MailSink.start();
        this.port = port;
        this.fixtures = new Fixtures(dataSource, hasher);
        String url = "jdbc:postgresql://localhost:"
                + environment.getRequiredProperty("virtdevice.database.embedded.actual-port") + "/virtdevice";
        this.superuser = JdbcClient.create(new SimpleDriverDataSource(new Driver(), url, "postgres",
                TestDatabase.credentials(environment).superuser()));
        this.app = JdbcClient.create(dataSource);
        this.appTransactions = new TransactionTemplate(new TenantScopedTransactionManager(dataSource));
    }

    /** An anonymous client holding a CSRF token. */
    Api api() {
        return new Api(port).withCsrf();
    }

    Api signedIn(String email, String password) {
        Api api = api();
        Api.Response response = login(api, email, password);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return api;
    }

    static Api.Response login(Api api, String email, String password) {
        return api.post("/api/v1/auth/login", Map.of("email", email, "password", password));
    }

    /** Somebody who joined the owner's tenant through an invitation, signed in. */
    record Joined(Api api, UUID id, String email) {
        TenantContext context(UUID tenantId) {
            return new TenantContext(tenantId, id);
        }
    }

    Joined invite(Api owner, String role) {
        String email = Fixtures.uniqueEmail(role);
        Api.Response invited = owner.post("/api/v1/team/invitations", Map.of("email", email, "role", role));
        assertThat(invited.status()).as(invited.toString()).isEqualTo(201);
        String token = MailSink.token(email, "invited", "/invitation");
        Api api = api();
        Api.Response accepted = api.post("/api/v1/auth/invitations/accept",
                Map.of("token", token, "name", "New " + role, "password", Fixtures.PASSWORD));
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(201);
        return new Joined(api, UUID.fromString(accepted.json().path("user").path("id").asString()), email);
    }

    /** Activity actions of the tenant, oldest first, read as the app role by an owner or admin. */
    List<String> activity(TenantContext admin) {
        return asApp(admin, jdbc -> jdbc.sql("select action from activity_logs order by created_at, id")
                .query(String.class)
                .list());
    }

    /** Runs SQL as the application role, inside a transaction carrying the context. */
    <T> T asApp(TenantContext context, Function<JdbcClient, T> work) {
        return TenantScope.call(context, () -> appTransactions.execute(s -> work.apply(app)));
    }

    /** Row counts as the superuser (no row-level security), for proving what exists. */
    long count(String sql, Object... params) {
        var spec = superuser.sql(sql);
        for (Object param : params) {
            spec = spec.param(param);
        }
        return spec.query(Long.class).single();
    }

    void superuserUpdate(String sql, Object... params) {
        var spec = superuser.sql(sql);
        for (Object param : params) {
            spec = spec.param(param);
        }
        spec.update();
    }

    /**
     * Gives the client an anonymous session, the way a browser gets one: an OAuth authorization request
     * (the one request remembered across the sign-in) starts a session. (A JSON Accept header would skip
     * that, so this is raw.)
     */
    void startAnonymousSession(Api api) throws Exception {
        String authorize = "/oauth2/authorize?response_type=code&client_id=virtdevice-web&scope=read&state=s1"
                + "&redirect_uri=https%3A%2F%2Fapp.virtdevice.test%2Foauth%2Fcallback"
                + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(api.baseUrl() + authorize)).header("Accept", "text/html").build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("VDSESSION="))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no session cookie: " + response.headers()));
        api.cookies().put("VDSESSION", cookie.substring("VDSESSION=".length()).split(";", 2)[0]);
    }
}
