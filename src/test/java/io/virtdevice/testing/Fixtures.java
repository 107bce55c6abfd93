package io.virtdevice.testing;

import io.virtdevice.platform.crypto.PasswordHasher;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.tenancy.TenantScopedTransactionManager;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Builds fresh tenants and users straight through the database's own sign-up function, as the app role,
 * and gives each an API key, so a test can call the API as that user without depending on the account
 * screens. Every call makes new, unique rows: tests never clean up and never see each other's data.
 */
public final class Fixtures {

    public static final String PASSWORD = "correct horse battery staple";
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String RUN = Long.toString(System.nanoTime(), 36);

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final PasswordHasher hasher;
    private static String cachedHash;

    public Fixtures(DataSource dataSource, PasswordHasher hasher) {
        this.jdbc = JdbcClient.create(dataSource);
        this.tx = new TransactionTemplate(new TenantScopedTransactionManager(dataSource));
        this.hasher = hasher;
    }

    /** A user of a new tenant. */
    public record TestUser(UUID tenantId, UUID userId, String email, String apiKey) {
        public TenantContext context() {
            return new TenantContext(tenantId, userId);
        }
    }

    public static String uniqueEmail(String hint) {
        return hint + "-" + RUN + "-" + SEQ.incrementAndGet() + "@example.test";
    }

    public static String uniqueSlug(String hint) {
        return (hint + "-" + RUN + "-" + SEQ.incrementAndGet()).toLowerCase(java.util.Locale.ROOT);
    }

    /** Owner of a new tenant on the free plan, with a read+write API key. */
    public TestUser owner() {
        return owner(2);
    }

    public TestUser owner(int maxDevices) {
        String email = uniqueEmail("owner");
        String hash = passwordHash();
        var ids = tx.execute(s -> jdbc.sql("select tenant_id, user_id from app.sign_up(:name, :slug, :email, :uname, :hash, :max)")
                .param("name", "Home " + email)
                .param("slug", uniqueSlug("t"))
                .param("email", email)
                .param("uname", "Test Owner")
                .param("hash", hash)
                .param("max", maxDevices)
                .query((rs, i) -> new UUID[] {rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)})
                .single());
        TestUser user = new TestUser(ids[0], ids[1], email, null);
        return new TestUser(user.tenantId(), user.userId(), email, apiKey(user, List.of("read", "write")));
    }

    /** A new API key for the user with the given scopes; returns the secret. */
    public String apiKey(TestUser user, List<String> scopes) {
        String secret = Tokens.generate("vdk_");
        TenantScope.run(user.context(), () -> tx.executeWithoutResult(s -> jdbc.sql("""
                        insert into api_keys (tenant_id, user_id, name, prefix, token_hash, scopes)
                        values (:t, :u, 'fixture', :prefix, :hash, :scopes)
                        """)
                .param("t", user.tenantId())
                .param("u", user.userId())
                .param("prefix", Tokens.displayPrefix(secret, 12))
                .param("hash", Tokens.sha256(secret))
                .param("scopes", scopes.toArray(String[]::new))
                .update()));
        return secret;
    }

    private String passwordHash() {
        // Argon2 is deliberately slow; fixtures share one hash of the same password.
        if (cachedHash == null) {
            cachedHash = hasher.hash(PASSWORD);
        }
        return cachedHash;
    }
}
