package io.virtdevice.alexa;

import io.virtdevice.devices.ChangeSource;
import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.BatchDeviceEventConsumer;
import io.virtdevice.platform.jobs.LeaseOwner;
import io.virtdevice.platform.tenancy.TenantContext;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * The {@code alexa} reaction to device changes (spec §3, §7): for owners whose Alexa link is active, stages in
 * {@code alexa_event_outbox}
 * <ul>
 *   <li>a ChangeReport for every actual change of a proactively reported property, unless the change came
 *       from an Alexa directive (source {@code alexa}: its {@code Alexa.Response} already told Alexa);</li>
 *   <li>a DoorbellPress for every press;</li>
 *   <li>an AddOrUpdateReport when a device is created or its friendly name or description changes, unless
 *       the device is gone meanwhile (its DeleteReport follows);</li>
 *   <li>a DeleteReport when a device is deleted (also with its account or member).</li>
 * </ul>
 * Staging is idempotent (an event already folded into the endpoint's newest row is skipped) and makes no
 * network call; {@link AlexaEventSender} sends after the dispatch commits.
 */
@Component
class AlexaEventConsumer implements BatchDeviceEventConsumer {

    private final ObjectProvider<AlexaLinks> links;
    private final DeviceManagement devices;
    private final AlexaEventOutbox outbox;
    private final AlexaEventSender sender;
    private final AlexaEventSettings settings;
    private final LeaseOwner leaseOwner;
    private final AlexaFairShare fairShare;

    AlexaEventConsumer(ObjectProvider<AlexaLinks> links, DeviceManagement devices, AlexaEventOutbox outbox,
            AlexaEventSender sender, AlexaEventSettings settings, LeaseOwner leaseOwner, AlexaFairShare fairShare) {
        this.fairShare = fairShare;
        this.links = links;
        this.devices = devices;
        this.outbox = outbox;
        this.sender = sender;
        this.settings = settings;
        this.leaseOwner = leaseOwner;
    }

    @Override
    public String name() {
        return "alexa";
    }

    /** One owner's consecutive events: one look at the link, then each event in order. */
    @Override
    public void stageAll(List<DeviceEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        AlexaLinks linked = links.getIfAvailable();
        TenantContext owner = events.get(0).owner();
        if (linked == null) {
            return;
        }
        if (!linked.state(owner).map(s -> "active".equals(s.status())).orElse(false)) {
            // A deleted user's link is kept a while for exactly this (AlexaLinks), but no longer shows as their
            // state: their devices' DeleteReports are staged anyway (deletions are rare) and dropped at send
            // time if there is no link to send them with.
            events = events.stream().filter(e -> "device.deleted".equals(e.type())).toList();
            if (events.isEmpty()) {
                return;
            }
        }
        // the devices' current rows (property rules, connectivity, names): one read for the whole run
        Map<UUID, Optional<Device>> devicesSeen = new HashMap<>();
        devices.findAll(events.stream().filter(AlexaEventConsumer::needsDevice).map(DeviceEvent::deviceId)
                        .collect(java.util.stream.Collectors.toSet()))
                .forEach(d -> devicesSeen.put(d.id(), Optional.of(d)));
        // in order; a ChangeReport folds into the same endpoint's previous one of this run if nothing of that
        // endpoint came between (a burst costs one report), unless either reports a sensor becoming DETECTED
        // (a routine's trigger: a re-pulse's NOT_DETECTED, DETECTED must not fold into "DETECTED")
        List<AlexaEventOutbox.Staging> run = new ArrayList<>();
        Map<String, Integer> lastOfEndpoint = new HashMap<>();
        // each report of an endpoint gets a timeOfSample after the previous one's (Alexa compares them at
        // millisecond resolution): a re-pulse's NOT_DETECTED and DETECTED share their transaction's time
        Map<String, Instant> sampledAt = new HashMap<>();
        for (DeviceEvent event : events) {
            Instant at = event.occurredAt().truncatedTo(ChronoUnit.MILLIS);
            if (event.alexaEndpointId() != null) {
                Instant previous = sampledAt.get(event.alexaEndpointId());
                if (previous != null && !at.isAfter(previous)) {
                    at = previous.plusMillis(1);
                }
                sampledAt.put(event.alexaEndpointId(), at);
            }
            staging(event, at, devicesSeen).ifPresent(s -> {
                Integer last = lastOfEndpoint.get(s.endpointId());
                if (last != null && AlexaEventMessages.CHANGE_REPORT.equals(s.kind())
                        && AlexaEventMessages.CHANGE_REPORT.equals(run.get(last).kind())
                        && !s.detectionEdge() && !run.get(last).detectionEdge()) {
                    run.set(last, run.get(last).fold(s));
                } else {
                    lastOfEndpoint.put(s.endpointId(), run.size());
                    run.add(s);
                }
            });
        }
        List<AlexaEventOutbox.Inserted> inserted = outbox.stage(owner, run, false, settings.lease(), leaseOwner.id());
        fairShare.coalesced(run.stream().mapToInt(AlexaEventOutbox.Staging::count).sum() - inserted.size());
        List<AlexaEventOutbox.Row> leased = inserted.stream()
                .filter(AlexaEventOutbox.Inserted::leased).map(AlexaEventOutbox.Inserted::row).toList();
        if (!leased.isEmpty()) {
            sender.afterCommit(owner, leased);
        }
    }

    private static boolean needsDevice(DeviceEvent event) {
        return event.deviceId() != null && switch (event.type()) {
            case "device.created", "device.updated" -> true;
            case "property.changed" -> !ChangeSource.ALEXA.code().equals(event.source());
            default -> false;
        };
    }

    /** What to send for an event, if anything. */
    private Optional<AlexaEventOutbox.Staging> staging(DeviceEvent event, Instant sampledAt,
            Map<UUID, Optional<Device>> devicesSeen) {
        String endpointId = event.alexaEndpointId();
        if (endpointId == null) {
            return Optional.empty(); // stored before V004: no way to name it to Alexa
        }
        String cause = AlexaEventMessages.cause(event.source());
        return switch (event.type()) {
            case "device.deleted" -> Optional.of(new AlexaEventOutbox.Staging(event.deviceId(), endpointId,
                    AlexaEventMessages.DELETE_REPORT, null, AlexaEventMessages.delete(endpointId), Set.of(), event.seq(),
                    event.occurredAt()));
            case "doorbell.pressed" -> Optional.of(new AlexaEventOutbox.Staging(event.deviceId(), endpointId,
                    AlexaEventMessages.DOORBELL_PRESS, "PHYSICAL_INTERACTION",
                    AlexaEventMessages.doorbellPress("PHYSICAL_INTERACTION", event.occurredAt()), Set.of(),
                    event.seq(), event.occurredAt()));
            case "device.created" -> device(event, devicesSeen).map(d -> new AlexaEventOutbox.Staging(d.id(),
                    endpointId, AlexaEventMessages.ADD_OR_UPDATE, null, AlexaEventMessages.addOrUpdate(d), Set.of(),
                    event.seq(), event.occurredAt()));
            case "device.updated" -> changedFields(event).stream()
                            .anyMatch(f -> f.equals("friendlyName") || f.equals("description"))
                    ? device(event, devicesSeen).map(d -> new AlexaEventOutbox.Staging(d.id(), endpointId,
                            AlexaEventMessages.ADD_OR_UPDATE, null, AlexaEventMessages.addOrUpdate(d), Set.of(),
                            event.seq(), event.occurredAt()))
                    : Optional.empty();
            case "property.changed" -> ChangeSource.ALEXA.code().equals(event.source())
                    ? Optional.empty()
                    : changeReport(event, sampledAt, endpointId, cause, devicesSeen);
            default -> Optional.empty();
        };
    }

    private Optional<AlexaEventOutbox.Staging> changeReport(DeviceEvent event, Instant sampledAt, String endpointId,
            String cause, Map<UUID, Optional<Device>> devicesSeen) {
        Optional<Device> current = device(event, devicesSeen);
        if (current.isEmpty()) {
            return Optional.empty(); // deleted since: its DeleteReport follows
        }
        Set<String> changedProperties = changedFields(event);
        Set<String> keys = AlexaEventMessages.alexaKeys(current.get(), changedProperties);
        if (keys.isEmpty()) {
            return Optional.empty();
        }
        Device atChange = AlexaEventMessages.atChange(current.get(), event.snapshot(), changedProperties, sampledAt);
        return Optional.of(new AlexaEventOutbox.Staging(event.deviceId(), endpointId, AlexaEventMessages.CHANGE_REPORT,
                cause, AlexaEventMessages.state(atChange, Instant.now()), keys, event.seq(), event.occurredAt()));
    }

    /** The device's current row, read for the run; empty when it is gone (deleted since). */
    private static Optional<Device> device(DeviceEvent event, Map<UUID, Optional<Device>> devicesSeen) {
        return devicesSeen.getOrDefault(event.deviceId(), Optional.empty());
    }

    private static Set<String> changedFields(DeviceEvent event) {
        Set<String> names = new LinkedHashSet<>();
        JsonNode changes = event.changes();
        if (changes != null) {
            changes.forEach(c -> {
                if (c.path("property").isString()) {
                    names.add(c.path("property").asString());
                }
            });
        }
        return names;
    }
}
