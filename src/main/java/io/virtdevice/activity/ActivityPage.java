package io.virtdevice.activity;

import java.util.List;

/** One page of activity, newest first; {@code nextCursor} fetches older entries and is null on the last page. */
public record ActivityPage(List<ActivityEntry> items, String nextCursor) {}
