package io.virtdevice.devices;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The last committed state of recently changed devices, per user, so that the next change of a device can be
 * computed before its transaction starts and written in one statement that checks the version
 * ({@code DeviceRepository.applyStateChangeAtVersion}) instead of a locked read followed by the write.
 *
 * <p>It is only ever a guess: the write happens only if the device still has the remembered version, and
 * every change of a device's state or details bumps its version (a pulse's reset clearing
 * {@code pulse_reset_at} alone does not, which is why pulsing sensors never take this path). An entry is
 * remembered only after its transaction commits, so a rolled-back change is never taken for the device's
 * state; a wrong guess (another instance changed the device, it was deleted) costs one statement that
 * writes nothing before the locked path. Keyed by user: a user's entries come only from that user's
 * changes, under row-level security.
 */
@Component
class DeviceStates {

    private record Key(UUID userId, UUID deviceId) {}

    private record EndpointKey(UUID userId, String endpointId) {}

    private final Cache<Key, Device> devices =
            Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(Duration.ofMinutes(10)).build();

    private final Cache<EndpointKey, UUID> endpoints =
            Caffeine.newBuilder().maximumSize(10_000).expireAfterAccess(Duration.ofMinutes(10)).build();

    Optional<Device> get(UUID userId, UUID deviceId) {
        return Optional.ofNullable(devices.getIfPresent(new Key(userId, deviceId)));
    }

    Optional<Device> byAlexaEndpointId(UUID userId, String endpointId) {
        UUID id = endpoints.getIfPresent(new EndpointKey(userId, endpointId));
        return id == null ? Optional.empty() : get(userId, id);
    }

    /**
     * Remembers {@code device} as committed: at once outside a transaction (the change was a transaction of its
     * own and has committed), else once the current transaction commits (forgotten until then, and for good if
     * it rolls back).
     */
    void changed(UUID userId, Device device) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()) {
            remember(userId, device);
            return;
        }
        forget(userId, device.id());
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                remember(userId, device);
            }
        });
    }

    private void remember(UUID userId, Device device) {
        devices.put(new Key(userId, device.id()), device);
        endpoints.put(new EndpointKey(userId, device.alexaEndpointId()), device.id());
    }

    void forget(UUID userId, UUID deviceId) {
        devices.invalidate(new Key(userId, deviceId));
    }
}
