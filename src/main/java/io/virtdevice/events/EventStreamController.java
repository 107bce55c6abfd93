package io.virtdevice.events;

import io.virtdevice.platform.security.CurrentUser;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code GET /api/v1/events/stream}: Server-Sent Events with every committed change of the caller's
 * devices, whichever instance made it. Each event's {@code id} is its sequence number, {@code event} its
 * type and {@code data} the same JSON body webhooks receive. A client that reconnects with
 * {@code Last-Event-ID} first gets the events it missed (up to {@code virtdevice.events.replay-limit}); if
 * events after that id may no longer be kept ({@code virtdevice.events.retention}), it gets one event of type
 * {@code reset} instead, telling it to reload the devices' state; its id is the point to resume from next.
 */
@RestController
class EventStreamController {

    private final EventStreams streams;

    EventStreamController(EventStreams streams) {
        this.streams = streams;
    }

    @GetMapping(path = "/api/v1/events/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    ResponseEntity<SseEmitter> stream(@AuthenticationPrincipal CurrentUser user,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        return ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                // nginx and similar proxies must not buffer the stream
                .header("X-Accel-Buffering", "no")
                .body(streams.open(user, sequence(lastEventId)));
    }

    /** A Last-Event-ID we issued is a sequence number; anything else means "no resume". */
    static Long sequence(String lastEventId) {
        if (lastEventId == null || lastEventId.isEmpty() || lastEventId.length() > 18
                || !lastEventId.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return Long.parseLong(lastEventId);
    }
}
