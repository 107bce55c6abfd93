package io.virtdevice.events;

import java.util.List;

/** One page of event failures, newest first; {@code nextCursor} fetches older ones and is null on the last page. */
public record EventFailurePage(List<EventFailure> items, String nextCursor) {}
