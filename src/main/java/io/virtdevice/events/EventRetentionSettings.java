package io.virtdevice.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How long change events are kept ({@code device_events}, partitioned by writing transaction).
 *
 * @param retention events are kept at least this long (at least one day), and always until every consumer
 *     has processed them; older ones go a whole partition (about a day of changes) at a time. A live stream
 *     resuming from an event no longer kept gets a {@code reset} event (docs/architecture.md).
 */
@ConfigurationProperties("virtdevice.events")
record EventRetentionSettings(@DefaultValue("90d") Duration retention) {}
