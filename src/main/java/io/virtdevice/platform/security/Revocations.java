package io.virtdevice.platform.security;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Makes a revocation reach everything at once: when the transaction that published a
 * {@link CredentialRevoked} commits (or at once, outside a transaction), this instance's token caches forget
 * the credential and its live streams close, and the {@link RevocationRelay} tells every other instance,
 * which does the same through {@link #apply}.
 */
@Component
public class Revocations {

    private static final Logger log = LoggerFactory.getLogger(Revocations.class);

    private final ObjectProvider<RevocationListener> listeners;
    private final ObjectProvider<RevocationRelay> relays;

    Revocations(ObjectProvider<RevocationListener> listeners, ObjectProvider<RevocationRelay> relays) {
        this.listeners = listeners;
        this.relays = relays;
    }

    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void committed(CredentialRevoked revocation) {
        apply(revocation);
        relays.orderedStream().forEach(relay -> relay.publish(revocation));
    }

    /** Applies a revocation on this instance (committed here, or relayed from another instance). */
    public void apply(CredentialRevoked revocation) {
        for (RevocationListener listener : listeners.orderedStream().toList()) {
            try {
                listener.revoked(revocation);
            } catch (RuntimeException e) {
                log.warn("could not apply revocation {} in {}: {}", revocation, listener.getClass().getSimpleName(),
                        e.toString());
            }
        }
    }

    /** After the bus was down: revocations may have been missed, so nothing cached is trusted any more. */
    public void forgetCached() {
        List<RevocationListener> all = listeners.orderedStream().toList();
        all.forEach(RevocationListener::forgetCached);
    }
}
