package io.virtdevice.alexa;

import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.devices.DeviceType;
import io.virtdevice.platform.jobs.LeaseOwner;
import io.virtdevice.platform.tenancy.TenantContext;
import io.virtdevice.platform.web.ApiProblem;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.node.ArrayNode;

/**
 * Routine-fire diagnostics (issue 10 part 7): what VirtDevice sent to Amazon per device and what the gateway
 * answered, the state of the user's link, a per-user health summary, and a test fire that sends a real event
 * now and returns the gateway's answer. Runs in the caller's tenant context.
 */
@Service
public class AlexaDiagnostics {

    static final Duration WINDOW = Duration.ofHours(24);
    private static final DateTimeFormatter MINUTES =
            DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final DeviceManagement devices;
    private final ObjectProvider<AlexaLinks> links;
    private final AlexaEventOutbox outbox;
    private final AlexaEventSender sender;
    private final AlexaEventSettings settings;
    private final LeaseOwner leaseOwner;
    private final TransactionTemplate tx;
    private final TransactionTemplate readTx;

    AlexaDiagnostics(DeviceManagement devices, ObjectProvider<AlexaLinks> links, AlexaEventOutbox outbox,
            AlexaEventSender sender, AlexaEventSettings settings, LeaseOwner leaseOwner,
            PlatformTransactionManager transactions) {
        this.devices = devices;
        this.links = links;
        this.outbox = outbox;
        this.sender = sender;
        this.settings = settings;
        this.leaseOwner = leaseOwner;
        this.tx = new TransactionTemplate(transactions);
        this.readTx = new TransactionTemplate(transactions);
        this.readTx.setReadOnly(true);
    }

    /** The link as the dashboard shows it (never a token). */
    public Map<String, Object> link(TenantContext owner) {
        AlexaLinks linked = links.getIfAvailable();
        Optional<AlexaLinkState> state = linked == null ? Optional.empty() : linked.state(owner);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("linked", state.isPresent());
        state.ifPresentOrElse(s -> {
            body.put("status", s.status());
            body.put("region", s.region());
            body.put("statusReason", s.statusReason());
            body.put("statusChangedAt", s.statusChangedAt());
            body.put("accessTokenExpiresAt", s.accessTokenExpiresAt());
            body.put("lastRefreshAt", s.lastRefreshAt());
            body.put("linkedAt", s.linkedAt());
        }, () -> body.put("status", "not_linked"));
        return body;
    }

    /** The last events sent (or still to send) for one of the caller's devices, newest first. */
    public Map<String, Object> events(TenantContext owner, UUID deviceId) {
        Device device = devices.get(deviceId);
        List<AlexaEventOutbox.Sent> items = readTx.execute(
                s -> outbox.history(owner.userId(), device.alexaEndpointId(), settings.historyPerEndpoint()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("deviceId", device.id());
        body.put("endpointId", device.alexaEndpointId());
        body.put("items", items);
        return body;
    }

    /**
     * {@link #events(TenantContext, UUID)} for a page of the caller's devices, read in one statement: device id →
     * the same body.
     */
    public Map<UUID, Map<String, Object>> events(TenantContext owner, List<Device> page) {
        List<String> endpoints = page.stream().map(Device::alexaEndpointId).toList();
        Map<String, List<AlexaEventOutbox.Sent>> histories = readTx.execute(
                s -> outbox.histories(owner.userId(), endpoints, settings.historyPerEndpoint()));
        Map<UUID, Map<String, Object>> result = new LinkedHashMap<>();
        page.forEach(device -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("deviceId", device.id());
            body.put("endpointId", device.alexaEndpointId());
            body.put("items", histories.getOrDefault(device.alexaEndpointId(), List.of()));
            result.put(device.id(), body);
        });
        return result;
    }

    /** Counts of the last 24 h, the latest failure and one sentence saying what is wrong, if anything. */
    public Map<String, Object> health(TenantContext owner) {
        Map<String, Object> link = link(owner);
        AlexaEventOutbox.Counts counts = readTx.execute(s -> outbox.counts(owner.userId(), WINDOW));
        Optional<AlexaEventOutbox.Failure> last = readTx.execute(s -> outbox.lastFailure(owner.userId()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("link", link);
        body.put("windowHours", WINDOW.toHours());
        body.put("sent", counts.sent());
        body.put("failed", counts.failed());
        body.put("expired", counts.expired());
        body.put("dropped", counts.dropped());
        body.put("pending", counts.pending());
        body.put("lastFailure", last.orElse(null));
        body.put("healthy", "active".equals(link.get("status")) && counts.failed() + counts.expired() == 0);
        body.put("summary", summary(link, counts, last));
        return body;
    }

    static String summary(Map<String, Object> link, AlexaEventOutbox.Counts counts,
            Optional<AlexaEventOutbox.Failure> last) {
        long failed = counts.failed() + counts.expired();
        String status = (String) link.get("status");
        StringBuilder text = new StringBuilder();
        if (failed > 0 && last.isPresent()) {
            text.append(failed).append(failed == 1 ? " event" : " events").append(" failed in the last 24 h: ")
                    .append(describe(last.get())).append(" on ").append(MINUTES.format(last.get().at())).append(". ");
        }
        switch (status) {
            case "not_linked" -> text.append("Alexa is not linked: enable the VirtDevice skill in the Alexa app and "
                    + "link your account; no events are sent until then.");
            case "revoked" -> text.append("The Alexa link was revoked").append(since(link))
                    .append(": disable and re-enable the VirtDevice skill in the Alexa app to relink.");
            case "unauthorized" -> text.append("Amazon refuses VirtDevice's token").append(since(link))
                    .append(": relink the VirtDevice skill in the Alexa app.");
            default -> {
                if (failed == 0) {
                    text.append(counts.sent() == 0 ? "No events sent in the last 24 h."
                            : counts.sent() == 1 ? "The one event of the last 24 h was accepted by Amazon."
                            : "All " + counts.sent() + " events of the last 24 h were accepted by Amazon.");
                }
            }
        }
        if (counts.dropped() > 0) {
            text.append(' ').append(counts.dropped() == 1 ? "1 device deletion" : counts.dropped() + " device deletions")
                    .append(" of the last 24 h could not be reported (no active Alexa link): remove ")
                    .append(counts.dropped() == 1 ? "that device" : "those devices").append(" in the Alexa app.");
        }
        return text.toString().strip();
    }

    private static String since(Map<String, Object> link) {
        Object at = link.get("statusChangedAt");
        Object reason = link.get("statusReason");
        return (at instanceof Instant i ? " on " + MINUTES.format(i) : "") + (reason == null ? "" : " (" + reason + ")");
    }

    private static String describe(AlexaEventOutbox.Failure f) {
        String code = f.code() == null ? "" : f.code();
        return switch (code) {
            case "SKILL_DISABLED_EXCEPTION" -> "skill disabled, token revoked";
            case "INVALID_ACCESS_TOKEN_EXCEPTION" -> "token refused by Amazon";
            case "LINK_INACTIVE" -> "no active Alexa link";
            case "THROTTLING_EXCEPTION" -> "throttled by Amazon";
            default -> f.error() == null ? f.kind() + " failed" : f.error();
        };
    }

    /** What a test fire returns: the event sent and Amazon's answer. */
    public record TestFire(UUID id, String kind, String status, String region, String messageId, Integer gatewayStatus,
            String gatewayCode, String error, Long latencyMs) {}

    /**
     * Sends a real event now, synchronously: a ChangeReport of the device's current state (a DoorbellPress for
     * a doorbell). Recorded in the device's history like any other event, flagged {@code test}.
     */
    public TestFire testFire(TenantContext owner, UUID deviceId) {
        Device device = devices.get(deviceId);
        AlexaLinks linked = links.getIfAvailable();
        if (linked == null || linked.token(owner).isEmpty()) {
            throw ApiProblem.conflict("Alexa is not linked, or the link is revoked or unauthorized: enable the "
                    + "VirtDevice skill in the Alexa app and link your account first.").with("code", "alexa_not_linked");
        }
        Instant now = Instant.now();
        AlexaEventOutbox.Staging staging;
        if (device.type() == DeviceType.DOORBELL) {
            staging = new AlexaEventOutbox.Staging(device.id(), device.alexaEndpointId(),
                    AlexaEventMessages.DOORBELL_PRESS, "PHYSICAL_INTERACTION",
                    AlexaEventMessages.doorbellPress("PHYSICAL_INTERACTION", now), Set.of(), 0, now);
        } else {
            ArrayNode state = AlexaEventMessages.state(device, now);
            staging = new AlexaEventOutbox.Staging(device.id(), device.alexaEndpointId(),
                    AlexaEventMessages.CHANGE_REPORT, "PHYSICAL_INTERACTION", state,
                    AlexaEventMessages.allKeys(state), 0, now);
        }
        AlexaEventOutbox.Row row = tx.execute(s -> outbox.stage(owner, List.of(staging), true, settings.lease(),
                leaseOwner.id())).get(0).row();
        AlexaEventOutbox.Outcome o = sender.attempt(owner, row);
        return new TestFire(row.id(), staging.kind(), o.status(), o.region(), o.messageId(), o.httpStatus(), o.code(),
                o.error(), o.latencyMs());
    }
}
