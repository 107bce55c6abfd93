package io.virtdevice.devices;

import java.util.List;

/** One page of devices; {@code nextCursor} fetches the next page and is null on the last one. */
public record DevicePage(List<Device> items, String nextCursor) {}
