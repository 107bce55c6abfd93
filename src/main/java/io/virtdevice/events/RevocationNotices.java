package io.virtdevice.events;

import io.virtdevice.platform.security.CredentialRevoked;
import io.virtdevice.platform.security.RevocationRelay;
import io.virtdevice.platform.security.Revocations;
import java.util.Locale;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Conditional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The second kind of notice on the bus, next to "event committed": "credential revoked" (a user, an API
 * key or an OAuth grant, by id only). Every instance that receives one evicts its token caches and closes
 * the live streams of that credential ({@link Revocations#apply}). This class is the PostgreSQL side
 * ({@code NOTIFY credential_revocations}, heard by {@link PostgresEventListener}); {@link RedisEventRelay}
 * carries the same payload over Redis.
 */
@Component
@Conditional(EventBus.OnPostgres.class)
class RevocationNotices implements RevocationRelay {

    static final String CHANNEL = "credential_revocations";

    private static final Logger log = LoggerFactory.getLogger(RevocationNotices.class);

    private final JdbcClient jdbc;

    RevocationNotices(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Runs after the revoking transaction committed, possibly on its thread with its connection still bound:
     * the NOTIFY goes out from a thread of its own, in its own (auto-committed) transaction.
     */
    @Override
    public void publish(CredentialRevoked revocation) {
        String payload = encode(revocation);
        Thread.ofVirtual().name("credential-revocation-notice").start(() -> {
            try {
                jdbc.sql("select pg_notify('" + CHANNEL + "', :payload)").param("payload", payload)
                        .query((rs, i) -> 1).single();
            } catch (RuntimeException e) {
                // other instances fall back on their caches' TTL
                log.warn("could not relay revocation {}: {}", revocation, e.toString());
            }
        });
    }

    /** {@code <kind>:<uuid>}, e.g. {@code api_key:8b0c...}. */
    static String encode(CredentialRevoked revocation) {
        return revocation.kind().name().toLowerCase(Locale.ROOT) + ":" + revocation.id();
    }

    /** @throws IllegalArgumentException for a malformed payload */
    static CredentialRevoked decode(String payload) {
        int colon = payload.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("malformed revocation notice");
        }
        return new CredentialRevoked(
                CredentialRevoked.Kind.valueOf(payload.substring(0, colon).toUpperCase(Locale.ROOT)),
                UUID.fromString(payload.substring(colon + 1)));
    }

    static void receive(Revocations revocations, String payload) {
        CredentialRevoked revocation;
        try {
            revocation = decode(payload);
        } catch (RuntimeException e) {
            log.warn("ignoring malformed {} notification", CHANNEL);
            return;
        }
        revocations.apply(revocation);
    }
}
