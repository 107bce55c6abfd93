package io.virtdevice.events;

/**
 * How a live stream opened through {@link LiveStreams} renders its events (the dashboard sends HTML
 * fragments instead of the API's JSON). Called once per event and stream, in the stream's sending thread,
 * in the stream's order; it must not block on the database.
 */
public interface LiveFormat {

    /** The SSE event name and data for one committed change; the data must not contain line breaks. */
    LiveEvent render(DeviceEvent event);

    /** Sent instead of a backlog that is no longer kept: the client must reload the state. */
    LiveEvent reset();

    /** One SSE event: its {@code event} name and its {@code data}. */
    record LiveEvent(String name, String data) {}
}
