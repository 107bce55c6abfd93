package io.virtdevice.events;

import io.virtdevice.platform.security.CurrentUser;
import java.util.List;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The events module's API for other surfaces of live updates (the dashboard): the same streams as
 * {@code GET /api/v1/events/stream} (every committed change of the user's devices, each device's in version
 * order, resumable by the last event id), rendered by the caller's {@link LiveFormat}; and a device's recent
 * events.
 */
@Service
public class LiveStreams {

    private final EventStreams streams;
    private final DeviceEventReader reader;

    LiveStreams(EventStreams streams, DeviceEventReader reader) {
        this.streams = streams;
        this.reader = reader;
    }

    /** A stream for the principal, resuming after {@code lastEventId} when given. */
    public SseEmitter open(CurrentUser principal, Long lastEventId, LiveFormat format) {
        return streams.open(principal, lastEventId, format);
    }

    /** A client's last event id as we issued it (a sequence number), or null for anything else. */
    public static Long lastEventId(String value) {
        return EventStreamController.sequence(value);
    }

    /** The context user's device's newest events that are still kept, newest first. */
    @Transactional(readOnly = true)
    public List<DeviceEvent> recent(UUID userId, UUID deviceId, int limit) {
        return reader.recent(userId, deviceId, limit);
    }
}
