package io.virtdevice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import redis.embedded.RedisServer;

/**
 * A Redis server the tests bring themselves (embedded-redis: its binary for this OS comes from the jar on
 * Maven Central), on a free loopback port, one per test JVM, stopped when the JVM exits. Nothing of the
 * machine's own Redis is used, so the suite needs only a JDK.
 */
public final class TestRedis {

    private static RedisServer server;
    private static int port;

    private TestRedis() {}

    /** The port of the running server, started on first use. */
    public static synchronized int port() {
        if (server == null) {
            int candidate = AppProcess.freePort();
            try {
                RedisServer started = RedisServer.newRedisServer()
                        .bind("127.0.0.1")
                        .port(candidate)
                        .setting("save \"\"")
                        .setting("appendonly no")
                        .onShutdownForceStop(true)
                        .build();
                started.start();
                server = started;
                port = candidate;
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the embedded Redis", e);
            }
        }
        return port;
    }

    /** The settings that point an application at this server. */
    public static String[] settings() {
        return new String[] {"spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + port()};
    }
}
