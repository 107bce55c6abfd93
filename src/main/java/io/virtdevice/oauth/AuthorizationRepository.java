package io.virtdevice.oauth;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * SQL for grants ({@code oauth_authorizations}), token pairs ({@code oauth_tokens}) and remembered consents
 * ({@code oauth_consents}). Everything but {@link #findGrant} runs as the app role under the grant owner's
 * tenant context; hashes are written here but can never be read back by the app role.
 */
@Component
class AuthorizationRepository {

    /** What a presented secret points at: the grant, its owner, and the token pair (for token secrets). */
    record GrantRef(UUID authorizationId, UUID tenantId, UUID userId, UUID tokenId) {}

    record AuthorizationRow(UUID id, UUID tenantId, UUID userId, UUID clientId, OAuthClientType clientType,
            String redirectUri, Set<String> requestedScopes, Set<String> authorizedScopes, String clientState,
            String codeChallenge, String codeChallengeMethod, Instant codeIssuedAt, Instant codeExpiresAt,
            Instant codeConsumedAt, Instant revokedAt, Instant createdAt) {}

    record TokenRow(UUID id, UUID familyId, UUID parentId, Set<String> scopes, Instant createdAt,
            Instant accessExpiresAt, Instant refreshExpiresAt, Instant rotatedAt, Instant revokedAt) {}

    /** What a new grant row holds; the hashes are SHA-256 of secrets this instance just issued. */
    record NewAuthorization(UUID id, UUID tenantId, UUID userId, UUID clientId, OAuthClientType clientType,
            String redirectUri, Set<String> requestedScopes, Set<String> authorizedScopes, String clientState,
            String codeChallenge, String codeChallengeMethod, byte[] consentStateHash, byte[] codeHash,
            Instant codeIssuedAt, Instant codeExpiresAt) {}

    record NewTokens(UUID familyId, UUID parentId, UUID tenantId, UUID userId, UUID clientId, byte[] accessHash,
            Instant accessExpiresAt, byte[] refreshHash, Instant refreshExpiresAt, Set<String> scopes) {}

    /** A client the user has live tokens for. */
    record ConnectedRow(UUID clientId, OAuthClientType clientType, Set<String> scopes, Instant linkedAt,
            Instant lastUsedAt) {}

    private static final String FIND_GRANT = """
            select authorization_id, tenant_id, user_id, token_id from app.find_oauth_grant(:kind, :hash)
            """;

    private static final String AUTHORIZATION_COLUMNS = """
            id, tenant_id, user_id, client_id, client_type, redirect_uri, requested_scopes, authorized_scopes,
            client_state, code_challenge, code_challenge_method, code_issued_at, code_expires_at, code_consumed_at,
            revoked_at, created_at
            """;

    private static final String AUTHORIZATION = "select " + AUTHORIZATION_COLUMNS
            + " from oauth_authorizations where id = :id";

    // FOR UPDATE serialises the saves of one grant (concurrent refreshes, a code redeemed twice at once)
    private static final String LOCK_AUTHORIZATION = "select " + AUTHORIZATION_COLUMNS
            + " from oauth_authorizations where id = :id for update";

    private static final String TOKEN_COLUMNS = """
            id, family_id, parent_id, scope, created_at, access_token_expires_at, refresh_token_expires_at,
            rotated_at, revoked_at
            """;

    private static final String TOKEN = "select " + TOKEN_COLUMNS + " from oauth_tokens where id = :id";

    private static final String HEAD = "select " + TOKEN_COLUMNS + """
             from oauth_tokens
            where family_id = :family and rotated_at is null and revoked_at is null
            order by created_at desc, id desc limit 1
            """;

    private static final String LATEST = "select " + TOKEN_COLUMNS + """
             from oauth_tokens where family_id = :family order by created_at desc, id desc limit 1
            """;

    private static final String EMAIL = "select email from users where id = :user";

    private static final String INSERT_AUTHORIZATION = """
            insert into oauth_authorizations (id, tenant_id, user_id, client_id, client_type, redirect_uri,
                    requested_scopes, authorized_scopes, client_state, code_challenge, code_challenge_method,
                    consent_state_hash, code_hash, code_issued_at, code_expires_at)
            values (:id, :tenant, :user, :client, cast(:type as oauth_client_type), :redirectUri,
                    cast(:requested as text[]), cast(:authorized as text[]), :clientState, :challenge, :method,
                    :stateHash, :codeHash, :codeIssuedAt, :codeExpiresAt)
            """;

    // The consent was given: the consent-step secret is spent, the client's state no longer needed.
    private static final String ISSUE_CODE = """
            update oauth_authorizations
               set consent_state_hash = null, client_state = null, code_hash = :codeHash,
                   code_issued_at = :issuedAt, code_expires_at = :expiresAt, authorized_scopes = cast(:scopes as text[])
             where id = :id and code_issued_at is null and revoked_at is null
            """;

    private static final String CONSUME_CODE = """
            update oauth_authorizations set code_consumed_at = now()
             where id = :id and code_consumed_at is null and revoked_at is null
            """;

    private static final String INSERT_TOKENS = """
            insert into oauth_tokens (tenant_id, user_id, client_id, family_id, parent_id, access_token_hash,
                                      access_token_expires_at, refresh_token_hash, refresh_token_expires_at, scope)
            values (:tenant, :user, :client, :family, :parent, :accessHash, :accessExpiresAt, :refreshHash,
                    :refreshExpiresAt, cast(:scopes as text[]))
            """;

    // every live pair of the family: normally one, more after a refresh race (siblings of one parent)
    private static final String ROTATE_LIVE = """
            update oauth_tokens set rotated_at = now()
             where family_id = :family and rotated_at is null and revoked_at is null
            """;

    // live pairs that are not children of the given pair (another rotation happened since)
    private static final String LIVE_NOT_CHILDREN = """
            select count(*) from oauth_tokens
             where family_id = :family and rotated_at is null and revoked_at is null
               and parent_id is distinct from :parent
            """;

    private static final String REVOKE_FAMILY_TOKENS = """
            update oauth_tokens set revoked_at = now() where family_id = :family and revoked_at is null
            """;

    private static final String REVOKE_AUTHORIZATION = """
            update oauth_authorizations set revoked_at = now() where id = :id and revoked_at is null
            """;

    private static final String DELETE_AUTHORIZATION = "delete from oauth_authorizations where id = :id";

    private static final String LIVE_FAMILIES = """
            select a.id from oauth_authorizations a
             where a.user_id = :user and a.client_type = any (cast(:types as oauth_client_type[]))
               and a.revoked_at is null
            """;

    private static final String LIVE_FAMILIES_OF_CLIENT = """
            select a.id from oauth_authorizations a
             where a.user_id = :user and a.client_id = :client and a.revoked_at is null
            """;

    // "Connected" = at least one token pair that is neither revoked nor past its refresh expiry.
    // Scopes are unnested per token before aggregating: array_agg over the scope arrays themselves fails
    // ("cannot accumulate arrays of different dimensionality") once two grants hold different scope sets.
    private static final String CONNECTED = """
            select a.client_id, min(a.client_type::text) as client_type,
                   array_remove(array_agg(distinct s.scope order by s.scope), null) as scopes,
                   min(a.created_at) as linked_at, max(t.last_used_at) as last_used_at
              from oauth_authorizations a
              join oauth_tokens t on t.family_id = a.id
              left join lateral unnest(t.scope) as s(scope) on true
             where a.user_id = :user and a.revoked_at is null and t.revoked_at is null
               and t.rotated_at is null
               and (t.refresh_token_expires_at is null or t.refresh_token_expires_at > now())
             group by a.client_id
             order by min(a.created_at)
            """;

    private static final String CONSENT = """
            select scopes from oauth_consents where user_id = :user and client_id = :client
            """;

    private static final String UPSERT_CONSENT = """
            insert into oauth_consents (tenant_id, user_id, client_id, scopes)
            values (:tenant, :user, :client, cast(:scopes as text[]))
            on conflict (user_id, client_id) do update set scopes = excluded.scopes
            """;

    private static final String DELETE_CONSENT = """
            delete from oauth_consents where user_id = :user and client_id = :client
            """;

    private final JdbcClient jdbc;

    AuthorizationRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Through a definer function: works before any tenant context exists. */
    Optional<GrantRef> findGrant(String kind, byte[] hash) {
        return jdbc.sql(FIND_GRANT)
                .param("kind", kind)
                .param("hash", hash)
                .query((rs, i) -> new GrantRef(rs.getObject("authorization_id", UUID.class),
                        rs.getObject("tenant_id", UUID.class), rs.getObject("user_id", UUID.class),
                        rs.getObject("token_id", UUID.class)))
                .optional();
    }

    Optional<AuthorizationRow> authorization(UUID id) {
        return jdbc.sql(AUTHORIZATION).param("id", id).query(this::mapAuthorization).optional();
    }

    Optional<AuthorizationRow> lockAuthorization(UUID id) {
        return jdbc.sql(LOCK_AUTHORIZATION).param("id", id).query(this::mapAuthorization).optional();
    }

    Optional<TokenRow> token(UUID id) {
        return jdbc.sql(TOKEN).param("id", id).query(this::mapToken).optional();
    }

    /** The family's live pair: neither rotated nor revoked. */
    Optional<TokenRow> head(UUID familyId) {
        return jdbc.sql(HEAD).param("family", familyId).query(this::mapToken).optional();
    }

    /** The family's newest pair, whatever its state. */
    Optional<TokenRow> latest(UUID familyId) {
        return jdbc.sql(LATEST).param("family", familyId).query(this::mapToken).optional();
    }

    Optional<String> email(UUID userId) {
        return jdbc.sql(EMAIL).param("user", userId).query(String.class).optional();
    }

    void insert(NewAuthorization a) {
        jdbc.sql(INSERT_AUTHORIZATION)
                .param("id", a.id())
                .param("tenant", a.tenantId())
                .param("user", a.userId())
                .param("client", a.clientId())
                .param("type", a.clientType().code())
                .param("redirectUri", a.redirectUri())
                .param("requested", array(a.requestedScopes()))
                .param("authorized", a.authorizedScopes() == null ? null : array(a.authorizedScopes()))
                .param("clientState", a.clientState())
                .param("challenge", a.codeChallenge())
                .param("method", a.codeChallengeMethod())
                .param("stateHash", a.consentStateHash(), Types.BINARY)
                .param("codeHash", a.codeHash(), Types.BINARY)
                .param("codeIssuedAt", timestamp(a.codeIssuedAt()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("codeExpiresAt", timestamp(a.codeExpiresAt()), Types.TIMESTAMP_WITH_TIMEZONE)
                .update();
    }

    boolean issueCode(UUID id, byte[] codeHash, Instant issuedAt, Instant expiresAt, Set<String> scopes) {
        return jdbc.sql(ISSUE_CODE)
                .param("id", id)
                .param("codeHash", codeHash)
                .param("issuedAt", timestamp(issuedAt), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("expiresAt", timestamp(expiresAt), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("scopes", array(scopes))
                .update() == 1;
    }

    /** Marks the code used; false when it already was (or the grant is revoked): the caller lost a race. */
    boolean consumeCode(UUID id) {
        return jdbc.sql(CONSUME_CODE).param("id", id).update() == 1;
    }

    void insert(NewTokens t) {
        jdbc.sql(INSERT_TOKENS)
                .param("tenant", t.tenantId())
                .param("user", t.userId())
                .param("client", t.clientId())
                .param("family", t.familyId())
                .param("parent", t.parentId())
                .param("accessHash", t.accessHash())
                .param("accessExpiresAt", timestamp(t.accessExpiresAt()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("refreshHash", t.refreshHash(), Types.BINARY)
                .param("refreshExpiresAt", timestamp(t.refreshExpiresAt()), Types.TIMESTAMP_WITH_TIMEZONE)
                .param("scopes", array(t.scopes()))
                .update();
    }

    /** Rotates the family's live pairs (its head, and after a refresh race its head's siblings). */
    int rotateLive(UUID familyId) {
        return jdbc.sql(ROTATE_LIVE).param("family", familyId).update();
    }

    /** Whether every live pair of the family is a child of {@code parentId} (nothing rotated since). */
    boolean onlyChildrenLive(UUID familyId, UUID parentId) {
        return jdbc.sql(LIVE_NOT_CHILDREN).param("family", familyId).param("parent", parentId)
                .query(Long.class).single() == 0;
    }

    /** Revokes the grant and every token pair it issued; true when anything was still live. */
    boolean revokeFamily(UUID familyId) {
        int tokens = jdbc.sql(REVOKE_FAMILY_TOKENS).param("family", familyId).update();
        int grants = jdbc.sql(REVOKE_AUTHORIZATION).param("id", familyId).update();
        return tokens + grants > 0;
    }

    void delete(UUID authorizationId) {
        jdbc.sql(DELETE_AUTHORIZATION).param("id", authorizationId).update();
    }

    List<UUID> liveFamilies(UUID userId, Collection<OAuthClientType> types) {
        return jdbc.sql(LIVE_FAMILIES)
                .param("user", userId)
                .param("types", types.stream().map(OAuthClientType::code).toArray(String[]::new))
                .query(UUID.class)
                .list();
    }

    List<UUID> liveFamilies(UUID userId, UUID clientId) {
        return jdbc.sql(LIVE_FAMILIES_OF_CLIENT).param("user", userId).param("client", clientId).query(UUID.class).list();
    }

    List<ConnectedRow> connected(UUID userId) {
        return jdbc.sql(CONNECTED)
                .param("user", userId)
                .query((rs, i) -> new ConnectedRow(rs.getObject("client_id", UUID.class),
                        OAuthClientType.of(rs.getString("client_type")), strings(rs.getArray("scopes")),
                        instant(rs, "linked_at"), instant(rs, "last_used_at")))
                .list();
    }

    Optional<Set<String>> consent(UUID userId, UUID clientId) {
        return jdbc.sql(CONSENT).param("user", userId).param("client", clientId)
                .query((rs, i) -> strings(rs.getArray("scopes")))
                .optional();
    }

    void saveConsent(UUID tenantId, UUID userId, UUID clientId, Set<String> scopes) {
        jdbc.sql(UPSERT_CONSENT)
                .param("tenant", tenantId)
                .param("user", userId)
                .param("client", clientId)
                .param("scopes", array(scopes))
                .update();
    }

    boolean deleteConsent(UUID userId, UUID clientId) {
        return jdbc.sql(DELETE_CONSENT).param("user", userId).param("client", clientId).update() > 0;
    }

    private AuthorizationRow mapAuthorization(ResultSet rs, int i) throws SQLException {
        Array authorized = rs.getArray("authorized_scopes");
        return new AuthorizationRow(
                rs.getObject("id", UUID.class),
                rs.getObject("tenant_id", UUID.class),
                rs.getObject("user_id", UUID.class),
                rs.getObject("client_id", UUID.class),
                OAuthClientType.of(rs.getString("client_type")),
                rs.getString("redirect_uri"),
                strings(rs.getArray("requested_scopes")),
                authorized == null ? null : strings(authorized),
                rs.getString("client_state"),
                rs.getString("code_challenge"),
                rs.getString("code_challenge_method"),
                instant(rs, "code_issued_at"),
                instant(rs, "code_expires_at"),
                instant(rs, "code_consumed_at"),
                instant(rs, "revoked_at"),
                instant(rs, "created_at"));
    }

    private TokenRow mapToken(ResultSet rs, int i) throws SQLException {
        return new TokenRow(
                rs.getObject("id", UUID.class),
                rs.getObject("family_id", UUID.class),
                rs.getObject("parent_id", UUID.class),
                strings(rs.getArray("scope")),
                instant(rs, "created_at"),
                instant(rs, "access_token_expires_at"),
                instant(rs, "refresh_token_expires_at"),
                instant(rs, "rotated_at"),
                instant(rs, "revoked_at"));
    }

    private static String[] array(Set<String> values) {
        return values.toArray(String[]::new);
    }

    private static Set<String> strings(Array array) throws SQLException {
        if (array == null) {
            return Set.of();
        }
        Set<String> values = new LinkedHashSet<>(List.of((String[]) array.getArray()));
        return java.util.Collections.unmodifiableSet(values);
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
