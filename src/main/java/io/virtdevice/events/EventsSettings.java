package io.virtdevice.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Live updates ({@code GET /api/v1/events/stream}).
 *
 * @param bus how instances tell each other about committed changes: {@code auto} (Redis when
 *     {@code spring.data.redis.host} or {@code .url} is set, else PostgreSQL), {@code postgres}
 *     (LISTEN/NOTIFY on a dedicated connection) or {@code redis} (pub/sub)
 * @param streamTimeout how long one stream stays open; browsers reconnect by themselves and resume with
 *     {@code Last-Event-ID}, and a revoked credential stops working at the latest after this long
 * @param heartbeat how often an idle stream gets a comment line, so proxies keep it open and dead clients
 *     are noticed
 * @param maxStreamsPerUser open streams per user and instance
 * @param maxStreams open streams per instance
 * @param replayLimit most events re-sent on resume
 * @param redisChannel the pub/sub channel in Redis mode
 * @param listenUrl the JDBC URL of the PostgreSQL bus's LISTEN connection, when the pool goes through a
 *     transaction-mode pooler (LISTEN needs a session: point this at the server or a session-mode pool);
 *     default {@code spring.datasource.url}
 * @param listenUsername default {@code spring.datasource.username}
 * @param listenPassword default {@code spring.datasource.password}
 * @param dispatchInterval how often an instance looks for undispatched change events when nothing woke it
 *     (changes committed on the instance wake it at once; this picks up other instances' and a crash's)
 * @param dispatchMaxFailures after this many failed attempts of one consumer (reaction) at one event, that
 *     consumer gives the event up: it is kept as a dead letter ({@code GET /api/v1/event-failures}, counted in
 *     {@code virtdevice.events.dead_letters}) and the owner's later events for that consumer flow again;
 *     attempts are spaced 1 s, 2 s, 4 s... up to a minute, and only that consumer and owner wait
 */
@ConfigurationProperties("virtdevice.events")
record EventsSettings(
        @DefaultValue("auto") String bus,
        @DefaultValue("15m") Duration streamTimeout,
        @DefaultValue("20s") Duration heartbeat,
        @DefaultValue("5") int maxStreamsPerUser,
        @DefaultValue("10000") int maxStreams,
        @DefaultValue("500") int replayLimit,
        @DefaultValue("virtdevice:device-events") String redisChannel,
        String listenUrl,
        String listenUsername,
        String listenPassword,
        @DefaultValue("1s") Duration dispatchInterval,
        @DefaultValue("10") int dispatchMaxFailures) {}
