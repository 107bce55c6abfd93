package io.virtdevice.ifttt;

import io.virtdevice.devices.DeviceRef;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.oauth.ConnectedApp;
import io.virtdevice.oauth.OAuthManagement;
import io.virtdevice.platform.security.CurrentUser;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * The user's IFTTT connection at a glance, for the dashboard and {@code GET /api/v1/ifttt}: whether the
 * {@code ifttt-service} client is connected, and the trigger identities of their applets with each one's
 * trigger and fields in words (the device by its name, read through the devices module under the user's
 * tenant scope), last poll and last realtime notice.
 */
@Service
public class IftttConnections {

    /** How many identities {@link #of} lists (the most recent). */
    public static final int LISTED = 100;

    private static final TypeReference<Map<String, String>> FIELDS = new TypeReference<>() {};

    private final OAuthManagement oauth;
    private final TriggerSubscriptions subscriptions;
    private final DeviceManagement devices;
    private final JsonMapper json;
    private final String clientId;

    IftttConnections(OAuthManagement oauth, TriggerSubscriptions subscriptions, DeviceManagement devices,
            JsonMapper json, @Value("${virtdevice.oauth.clients.ifttt.client-id:ifttt-service}") String clientId) {
        this.oauth = oauth;
        this.subscriptions = subscriptions;
        this.devices = devices;
        this.json = json;
        this.clientId = clientId;
    }

    /** The connection and the {@value #LISTED} most recent trigger identities of the signed-in user. */
    @Transactional(readOnly = true)
    public IftttConnection of(CurrentUser user) {
        Optional<ConnectedApp> app = oauth.connectedApps(user).stream()
                .filter(a -> a.clientId().equals(clientId)).findFirst();
        TriggerSubscriptions.Summary summary = subscriptions.summary(user.userId());
        List<TriggerSubscriptions.Listed> listed = subscriptions.list(user.userId(), LISTED);
        Map<TriggerSubscriptions.Listed, Map<String, String>> values = listed.stream()
                .collect(Collectors.toMap(Function.identity(), l -> json.readValue(l.subscription().fields(), FIELDS)));
        Map<String, DeviceRef> named = devices.refsByIftttDeviceId(values.values().stream()
                        .map(v -> v.get("device")).filter(Objects::nonNull).distinct().toList())
                .stream().collect(Collectors.toMap(DeviceRef::iftttDeviceId, Function.identity()));
        List<IftttConnection.TriggerIdentity> identities = listed.stream()
                .map(s -> identity(s, values.get(s), named))
                .toList();
        return new IftttConnection(app.isPresent(), app.map(ConnectedApp::linkedAt).orElse(null),
                app.map(ConnectedApp::lastUsedAt).orElse(null), summary.count(), summary.lastPolledAt(),
                summary.lastNotifiedAt(), identities,
                new IftttConnection.Realtime(summary.pendingNotices(), summary.coalesced(), summary.delayed()));
    }

    private static IftttConnection.TriggerIdentity identity(TriggerSubscriptions.Listed listed,
            Map<String, String> values, Map<String, DeviceRef> named) {
        TriggerSubscriptions.Subscription s = listed.subscription();
        DeviceRef device = values.get("device") == null ? null : named.get(values.get("device"));
        String deviceName = device == null ? null : device.name();
        Optional<IftttTrigger> trigger = IftttTrigger.of(s.trigger());
        String title = trigger.map(IftttTrigger::title).orElse(s.trigger());
        String firesWhen = trigger.map(t -> t.describe(deviceName == null ? "a deleted device" : deviceName, values))
                .orElse(title);
        return new IftttConnection.TriggerIdentity(s.identity(), s.trigger(), title, deviceName, firesWhen,
                s.enabled(), s.lastPolledAt(), s.lastNotifiedAt(), s.createdAt(), listed.coalesced(), listed.delayed(),
                listed.noticeDueAt());
    }
}
