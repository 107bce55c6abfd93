package io.virtdevice.apikeys;

import io.virtdevice.activity.ActivityAction;
import io.virtdevice.activity.ActivityLog;
import io.virtdevice.platform.crypto.Tokens;
import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.tenancy.TenantScope;
import io.virtdevice.platform.web.ApiProblem;
import java.text.Normalizer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The API-keys module's API: issue, list and revoke the context user's personal API keys. Keys are
 * bearer credentials for scripts ({@code Authorization: Bearer vdk_...}) with the scopes chosen here.
 */
@Service
public class ApiKeyManagement {

    public static final List<String> SCOPES = List.of("read", "write");
    static final int MAX_ACTIVE_KEYS = 50;
    static final int MAX_EXPIRY_DAYS = 3650;
    private static final int NAME_MAX = 100;

    private final ApiKeyRepository keys;
    private final ActivityLog activity;
    private final ApplicationEventPublisher events;

    ApiKeyManagement(ApiKeyRepository keys, ActivityLog activity, ApplicationEventPublisher events) {
        this.keys = keys;
        this.activity = activity;
        this.events = events;
    }

    /**
     * Issues a key; the returned secret is never available again.
     *
     * @param scopes a non-empty subset of {@link #SCOPES}
     * @param expiresInDays 1 to 3650, or null for a key that does not expire
     */
    @Transactional
    public IssuedApiKey create(String name, List<String> scopes, Integer expiresInDays, String source) {
        String label = name(name);
        List<String> granted = scopes(scopes);
        if (expiresInDays != null && (expiresInDays < 1 || expiresInDays > MAX_EXPIRY_DAYS)) {
            throw ApiProblem.invalidField("expiresInDays", "must be between 1 and " + MAX_EXPIRY_DAYS + ".");
        }
        TenantContext owner = context();
        if (keys.countActive(owner.userId()) >= MAX_ACTIVE_KEYS) {
            throw ApiProblem.conflict("You can have at most " + MAX_ACTIVE_KEYS + " API keys; revoke one first.");
        }
        Instant expiresAt = expiresInDays == null
                ? null
                : Instant.now().plus(Duration.ofDays(expiresInDays)).truncatedTo(ChronoUnit.SECONDS);
        String secret = Tokens.generate(ApiKeyAuthenticator.PREFIX);
        ApiKey key = keys.insert(owner, label, Tokens.displayPrefix(secret, 12), Tokens.sha256(secret), granted,
                expiresAt);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("name", key.name());
        details.put("prefix", key.prefix());
        details.put("scopes", key.scopes());
        activity.record(ActivityAction.API_KEY_CREATED, source, null, details);
        return new IssuedApiKey(key.id(), key.name(), key.prefix(), key.scopes(), key.expiresAt(), key.createdAt(),
                secret);
    }

    /** The context user's live keys, newest first, with when each was last used. */
    @Transactional(readOnly = true)
    public List<ApiKey> list() {
        return keys.list(context().userId());
    }

    /**
     * Revokes a key; requests with it fail, on every instance, from the moment this commits, and its open live
     * streams close. Unknown ids are a 404.
     */
    @Transactional
    public void revoke(UUID id, String source) {
        String name = keys.revoke(id).orElseThrow(() -> ApiProblem.notFound("API key"));
        activity.record(ActivityAction.API_KEY_REVOKED, source, null, Map.of("name", name, "keyId", id.toString()));
        // once this commits: evicted from every instance's cache, its live streams closed
        events.publishEvent(CredentialRevoked.apiKey(id));
    }

    private static String name(String name) {
        String text = name == null ? "" : Normalizer.normalize(name.strip(), Normalizer.Form.NFC);
        if (text.isEmpty()) {
            throw ApiProblem.invalidField("name", "must not be blank.");
        }
        if (text.codePointCount(0, text.length()) > NAME_MAX) {
            throw ApiProblem.invalidField("name", "must be at most " + NAME_MAX + " characters.");
        }
        boolean invisible = text.codePoints().anyMatch(cp -> Character.isISOControl(cp)
                || Character.getType(cp) == Character.FORMAT
                || Character.getType(cp) == Character.SURROGATE);
        if (invisible) {
            throw ApiProblem.invalidField("name", "must not contain control or invisible formatting characters.");
        }
        return text;
    }

    private static List<String> scopes(List<String> scopes) {
        if (scopes == null || scopes.isEmpty()) {
            throw ApiProblem.invalidField("scopes", "name at least one of " + String.join(", ", SCOPES) + ".");
        }
        List<String> granted = new ArrayList<>();
        for (String scope : scopes) {
            if (!SCOPES.contains(scope)) {
                throw ApiProblem.invalidField("scopes", "must only contain " + String.join(", ", SCOPES) + ".");
            }
            if (!granted.contains(scope)) {
                granted.add(scope);
            }
        }
        return granted;
    }

    private static TenantContext context() {
        return TenantScope.current().orElseThrow(() -> new IllegalStateException("API keys need a tenant context"));
    }
}
