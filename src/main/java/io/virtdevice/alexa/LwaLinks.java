package io.virtdevice.alexa;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.crypto.SecretBox;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The users' links to Login with Amazon (shared/spec/alexa.md §5; docs/alexa.md "AcceptGrant and Login with
 * Amazon"): one row per user in {@code alexa_lwa_tokens}, its tokens sealed by {@link SecretBox} under the
 * user's id (so the row can move to {@code alexa_lwa_retired_links} when the user is deleted and still open).
 *
 * <p>Refresh: when fewer than {@link #REFRESH_AHEAD} remain, one thread per instance (a lock stripe per user)
 * takes the user's row {@code FOR UPDATE} and refreshes while holding it; threads of other instances wait on
 * the row, then see the fresh token and use it. A refresh that LWA refuses for good ({@code invalid_grant}, or
 * another 4xx about the grant) revokes the link and deletes its tokens. A transient failure (time-out, 5xx,
 * 429, network, or LWA refusing the skill's own credentials) keeps the link and its token: the current access
 * token is still returned while it has not expired, and the next refresh is tried on the first call after
 * {@code virtdevice.alexa.lwa.refresh-retry-delay}.
 */
@Service
class LwaLinks implements AlexaLinks {

    private static final Logger log = LoggerFactory.getLogger(LwaLinks.class);

    /** Refresh when fewer than this remain (HA's PREEMPTIVE_REFRESH_TTL_IN_SECONDS, §5). */
    static final Duration REFRESH_AHEAD = Duration.ofSeconds(300);
    private static final int STRIPES = 64;
    private static final int MAX_REASON = 500;

    private static final String COLUMNS = """
            region, status, access_token_enc, refresh_token_enc, access_token_expires_at, refresh_retry_at""";
    private static final String SELECT_LINK = "select false as retired, " + COLUMNS
            + " from alexa_lwa_tokens where user_id = :user";
    private static final String SELECT_RETIRED = """
            select true as retired, region, 'active' as status, access_token_enc, refresh_token_enc,
                   access_token_expires_at, refresh_retry_at
              from alexa_lwa_retired_links
             where user_id = :user and retired_at > now() - make_interval(secs => :window)""";
    private static final String SELECT_EITHER = "(" + SELECT_LINK + ") union all (" + SELECT_RETIRED
            + ") order by retired limit 1";

    private static final String UPDATE_TOKENS = """
            update %s set access_token_enc = :access, refresh_token_enc = :refresh,
                          access_token_expires_at = :expires, last_refresh_at = now(), refresh_retry_at = null
             where user_id = :user""";
    private static final String DEFER_REFRESH = "update %s set refresh_retry_at = :at where user_id = :user";
    private static final String REVOKE = """
            update alexa_lwa_tokens
               set status = 'revoked', status_reason = :reason, status_changed_at = now(), access_token_enc = null,
                   refresh_token_enc = null, access_token_expires_at = null, refresh_retry_at = null
             where user_id = :user and status <> 'revoked'""";
    private static final String UNAUTHORIZE = """
            update alexa_lwa_tokens
               set status = 'unauthorized', status_reason = :reason, status_changed_at = now()
             where user_id = :user and status = 'active'""";
    private static final String DELETE_RETIRED = "delete from alexa_lwa_retired_links where user_id = :user";
    private static final String LINK = """
            insert into alexa_lwa_tokens (tenant_id, user_id, access_token_enc, refresh_token_enc,
                                          access_token_expires_at, region, status)
            values (:tenant, :user, :access, :refresh, :expires, :region, 'active')
            on conflict (user_id) do update
               set access_token_enc = excluded.access_token_enc, refresh_token_enc = excluded.refresh_token_enc,
                   access_token_expires_at = excluded.access_token_expires_at, region = excluded.region,
                   status = 'active', status_reason = null, status_changed_at = now(), last_refresh_at = null,
                   refresh_retry_at = null, linked_at = now()""";
    private static final String STATE = """
            select region, status, status_reason, status_changed_at, access_token_expires_at, last_refresh_at,
                   linked_at
              from alexa_lwa_tokens where user_id = :user""";

    /** A link as stored (main or retired table), tokens still sealed. */
    private record Row(boolean retired, AlexaRegion region, String status, byte[] access, byte[] refresh,
            Instant expiresAt, Instant retryAt) {

        boolean active() {
            return "active".equals(status) && access != null && refresh != null && expiresAt != null;
        }

        String table() {
            return retired ? "alexa_lwa_retired_links" : "alexa_lwa_tokens";
        }
    }

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final SecretBox box;
    private final LoginWithAmazon lwa;
    private final ActivityLog activity;
    private final AlexaLinkSettings settings;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    LwaLinks(JdbcClient jdbc, PlatformTransactionManager transactionManager, SecretBox box, LoginWithAmazon lwa,
            ActivityLog activity, AlexaLinkSettings settings) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactionManager);
        this.box = box;
        this.lwa = lwa;
        this.activity = activity;
        this.settings = settings;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    @Override
    public Optional<LwaToken> token(TenantContext owner) {
        Row row = TenantScope.call(owner, () -> tx.execute(s -> read(owner, SELECT_EITHER)));
        if (row == null || !row.active()) {
            return Optional.empty();
        }
        Instant now = Instant.now();
        if (fresh(row, now)) {
            return Optional.of(token(owner, row));
        }
        if (deferred(row, now)) {
            return unexpired(owner, row, now);
        }
        return refresh(owner, null);
    }

    @Override
    public Optional<LwaToken> refreshAfterRejection(TenantContext owner, String rejectedAccessToken) {
        return refresh(owner, rejectedAccessToken == null ? "" : rejectedAccessToken);
    }

    /**
     * Refreshes under the user's lock stripe and row lock. {@code rejected} null: the token is about to expire
     * (nothing is done if another caller refreshed meanwhile); otherwise the gateway refused that access token
     * (nothing is done if the link already carries another one).
     */
    private Optional<LwaToken> refresh(TenantContext owner, String rejected) {
        ReentrantLock lock = stripes[Math.floorMod(owner.userId().hashCode(), STRIPES)];
        lock.lock();
        try {
            return TenantScope.call(owner, () -> tx.execute(s -> {
                Row row = read(owner, SELECT_LINK + " for update");
                if (row == null) {
                    row = read(owner, SELECT_RETIRED + " for update");
                }
                if (row == null || !row.active()) {
                    return Optional.<LwaToken>empty();
                }
                Instant now = Instant.now();
                if (rejected == null && fresh(row, now)) {
                    return Optional.of(token(owner, row));
                }
                if (rejected != null && !open(row.access(), owner, "access_token").equals(rejected)) {
                    return unexpired(owner, row, now);
                }
                if (deferred(row, now)) {
                    return rejected == null ? unexpired(owner, row, now) : Optional.<LwaToken>empty();
                }
                return switch (lwa.refresh(open(row.refresh(), owner, "refresh_token"))) {
                    case LoginWithAmazon.Granted g -> Optional.of(store(owner, row, g));
                    case LoginWithAmazon.Refused r when !r.clientError() -> {
                        String reason = "Login with Amazon refused the refresh token (" + r.error() + ")";
                        revoke(owner, row, reason);
                        yield Optional.<LwaToken>empty();
                    }
                    case LoginWithAmazon.Refused r -> defer(owner, row, now, "the skill's messaging credentials"
                            + " were refused (" + r.error() + ")", rejected);
                    case LoginWithAmazon.Unavailable u -> defer(owner, row, now, u.reason(), rejected);
                };
            }));
        } finally {
            lock.unlock();
        }
    }

    private LwaToken store(TenantContext owner, Row row, LoginWithAmazon.Granted granted) {
        byte[] refresh = granted.refreshToken() == null ? row.refresh()
                : seal(granted.refreshToken(), owner, "refresh_token");
        Instant expires = Instant.now().plus(granted.expiresIn());
        jdbc.sql(UPDATE_TOKENS.formatted(row.table()))
                .param("access", seal(granted.accessToken(), owner, "access_token"))
                .param("refresh", refresh)
                .param("expires", timestamp(expires))
                .param("user", owner.userId())
                .update();
        return new LwaToken(granted.accessToken(), row.region(), expires);
    }

    private Optional<LwaToken> defer(TenantContext owner, Row row, Instant now, String reason, String rejected) {
        log.warn("Alexa link of user {}: the LWA refresh failed ({}); keeping the link, next try in {}",
                owner.userId(), reason, settings.lwa().refreshRetryDelay());
        jdbc.sql(DEFER_REFRESH.formatted(row.table()))
                .param("at", timestamp(now.plus(settings.lwa().refreshRetryDelay())))
                .param("user", owner.userId())
                .update();
        return rejected == null ? unexpired(owner, row, now) : Optional.empty();
    }

    private void revoke(TenantContext owner, Row row, String reason) {
        log.info("Alexa link of user {} revoked: {}", owner.userId(), reason);
        if (row.retired()) {
            jdbc.sql(DELETE_RETIRED).param("user", owner.userId()).update();
            return;
        }
        String bounded = bounded(reason);
        if (jdbc.sql(REVOKE).param("reason", bounded).param("user", owner.userId()).update() > 0) {
            activity.record(owner, ActivityAction.ALEXA_LINK_REVOKED, "system", null,
                    Map.of("region", row.region().name(), "reason", bounded));
        }
    }

    @Override
    public void markUnauthorized(TenantContext owner, String reason) {
        String bounded = bounded(reason);
        TenantScope.run(owner, () -> tx.executeWithoutResult(s -> {
            jdbc.sql(DELETE_RETIRED).param("user", owner.userId()).update();
            if (jdbc.sql(UNAUTHORIZE).param("reason", bounded).param("user", owner.userId()).update() > 0) {
                activity.record(owner, ActivityAction.ALEXA_LINK_UNAUTHORIZED, "system", null,
                        Map.of("reason", bounded));
            }
        }));
    }

    @Override
    public void markRevoked(TenantContext owner, String reason) {
        String bounded = bounded(reason);
        TenantScope.run(owner, () -> tx.executeWithoutResult(s -> {
            jdbc.sql(DELETE_RETIRED).param("user", owner.userId()).update();
            Row row = read(owner, SELECT_LINK + " for update");
            if (row != null) {
                revoke(owner, row, bounded);
            }
        }));
    }

    @Override
    public Optional<AlexaLinkState> state(TenantContext owner) {
        return TenantScope.call(owner, () -> tx.execute(s -> jdbc.sql(STATE).param("user", owner.userId())
                .query((rs, n) -> new AlexaLinkState(AlexaRegion.valueOf(rs.getString("region")),
                        rs.getString("status"), rs.getString("status_reason"), instant(rs, "status_changed_at"),
                        instant(rs, "access_token_expires_at"), instant(rs, "last_refresh_at"),
                        instant(rs, "linked_at")))
                .optional()));
    }

    /**
     * AcceptGrant's outcome: stores the user's link (replacing any earlier one, whatever its region or status)
     * with the tokens LWA just granted, and records it in the activity log.
     */
    LwaToken link(TenantContext owner, AlexaRegion region, LoginWithAmazon.Granted granted) {
        Instant expires = Instant.now().plus(granted.expiresIn());
        TenantScope.run(owner, () -> tx.executeWithoutResult(s -> {
            jdbc.sql(LINK)
                    .param("tenant", owner.tenantId())
                    .param("user", owner.userId())
                    .param("access", seal(granted.accessToken(), owner, "access_token"))
                    .param("refresh", seal(granted.refreshToken(), owner, "refresh_token"))
                    .param("expires", timestamp(expires))
                    .param("region", region.name())
                    .update();
            activity.record(owner, ActivityAction.ALEXA_LINKED, "alexa", null, Map.of("region", region.name()));
        }));
        return new LwaToken(granted.accessToken(), region, expires);
    }

    private Row read(TenantContext owner, String sql) {
        var query = jdbc.sql(sql).param("user", owner.userId());
        if (sql.contains(":window")) {
            query = query.param("window", (double) settings.retiredLinkWindow().toSeconds());
        }
        return query.query(LwaLinks::row).optional().orElse(null);
    }

    private static Row row(ResultSet rs, int n) throws SQLException {
        return new Row(rs.getBoolean("retired"), AlexaRegion.valueOf(rs.getString("region")), rs.getString("status"),
                rs.getBytes("access_token_enc"), rs.getBytes("refresh_token_enc"),
                instant(rs, "access_token_expires_at"), instant(rs, "refresh_retry_at"));
    }

    private static boolean fresh(Row row, Instant now) {
        return row.expiresAt().isAfter(now.plus(REFRESH_AHEAD));
    }

    private static boolean deferred(Row row, Instant now) {
        return row.retryAt() != null && row.retryAt().isAfter(now);
    }

    private Optional<LwaToken> unexpired(TenantContext owner, Row row, Instant now) {
        return row.expiresAt().isAfter(now) ? Optional.of(token(owner, row)) : Optional.empty();
    }

    private LwaToken token(TenantContext owner, Row row) {
        return new LwaToken(open(row.access(), owner, "access_token"), row.region(), row.expiresAt());
    }

    private byte[] seal(String token, TenantContext owner, String column) {
        return box.seal(token.getBytes(StandardCharsets.UTF_8), context(owner, column));
    }

    private String open(byte[] sealed, TenantContext owner, String column) {
        return new String(box.open(sealed, context(owner, column)), StandardCharsets.UTF_8);
    }

    /** The associated data of a sealed token: the column and the user, not the row (it may move when retired). */
    private static String context(TenantContext owner, String column) {
        return "alexa_lwa_tokens." + column + ":" + owner.userId();
    }

    private static String bounded(String reason) {
        String text = reason == null || reason.isBlank() ? "no reason given" : reason.replaceAll("\\p{Cntrl}", " ");
        return text.length() > MAX_REASON ? text.substring(0, MAX_REASON) : text;
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
