package io.virtdevice.dashboard;

import io.virtdevice.devices.Device;
import io.virtdevice.devices.DeviceManagement;
import io.virtdevice.platform.tenancy.TenantScope;
import java.util.Optional;

import io.virtdevice.events.DeviceEvent;
import io.virtdevice.events.LiveFormat;
import io.virtdevice.events.LiveStreams;
import io.virtdevice.platform.security.CurrentUser;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.thymeleaf.ITemplateEngine;
import org.thymeleaf.context.Context;

/**
 * {@code GET /live}: the user's live stream for the dashboard's pages, the same events as
 * {@code /api/v1/events/stream} (in order, resumable) rendered as HTML the htmx SSE extension swaps in
 * out of band: a change replaces the device's card (the page keeps a card's newer version if an older one
 * comes late), a new device's card is added to the grid, a deleted device's card removed, and a reset
 * (events missed that are no longer kept) reloads the grid. The browser's reconnects send
 * {@code Last-Event-ID}; the page's script sends {@code lastEventId} when htmx opens a new connection.
 */
@Controller
class LiveUpdates implements LiveFormat {

    /** The SSE event name the pages listen to ({@code sse-swap="device"}). */
    static final String EVENT = "device";

    private final LiveStreams streams;
    private final ITemplateEngine templates;
    private final DeviceManagement devices;

    LiveUpdates(LiveStreams streams, ITemplateEngine templates, DeviceManagement devices) {
        this.streams = streams;
        this.templates = templates;
        this.devices = devices;
    }

    @GetMapping(path = "/live", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> stream(@AuthenticationPrincipal CurrentUser user,
            @RequestHeader(name = "Last-Event-ID", required = false) String header,
            @RequestParam(name = "lastEventId", required = false) String parameter) {
        Long resumeAfter = LiveStreams.lastEventId(header != null ? header : parameter);
        return ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                .header("X-Accel-Buffering", "no")
                .body(streams.open(user, resumeAfter, this));
    }

    @Override
    public LiveEvent render(DeviceEvent event) {
        Map<String, Object> variables = new HashMap<>();
        String fragment;
        switch (event.type()) {
            case "device.deleted" -> {
                variables.put("id", event.deviceId());
                fragment = "removed";
            }
            case "device.created" -> {
                variables.put("card", DeviceCard.of(event, current(event)));
                fragment = "added";
            }
            default -> {
                variables.put("card", DeviceCard.of(event, current(event)));
                variables.put("oob", "true");
                fragment = "card";
            }
        }
        return new LiveEvent(EVENT, render(fragment, variables));
    }

    /** The device's flags (online, momentary) as they are now, read in the event owner's tenant scope. */
    private Optional<Device> current(DeviceEvent event) {
        return TenantScope.call(event.owner(), () -> devices.find(event.deviceId()));
    }

    @Override
    public LiveEvent reset() {
        return new LiveEvent(EVENT, render("reset", Map.of()));
    }

    private String render(String fragment, Map<String, Object> variables) {
        String html = templates.process("devices/card", Set.of(fragment), new Context(Locale.ENGLISH, variables));
        // SSE data is line-based: one line of HTML (no <pre> in these fragments, so nothing changes meaning)
        return html.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
