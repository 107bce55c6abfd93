package io.virtdevice.limits;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.ExpiredEntriesCleaner;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.stereotype.Component;

/**
 * Where the token buckets live: Redis (Bucket4j's compare-and-swap on Lettuce) when {@code spring.data.redis}
 * is configured (or {@code virtdevice.limits.backend=redis}), else PostgreSQL, the source of truth:
 * Bucket4j's {@code SELECT … FOR UPDATE} proxy manager on the unlogged table {@code rate_limit_buckets}
 * (docs/decisions.md, "Rate limits"). Buckets expire once they would be full again.
 */
@Component
class LimitBuckets implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(LimitBuckets.class);

    /** Keep a full bucket a little longer than needed: it costs a row, recreating it costs an insert. */
    private static final ExpirationAfterWriteStrategy EXPIRY =
            ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1));

    private final ProxyManager<String> proxyManager;
    private final StatefulRedisConnection<String, byte[]> redis;
    private final String backend;

    LimitBuckets(RateLimitSettings settings, DataSource dataSource,
            ObjectProvider<RedisConnectionFactory> redisConnections) {
        RedisConnectionFactory factory = redisConnections.getIfAvailable();
        boolean useRedis = switch (settings.backend()) {
            case "redis" -> true;
            case "postgresql" -> false;
            default -> factory != null;
        };
        if (useRedis) {
            if (!(factory instanceof LettuceConnectionFactory lettuce)
                    || !(lettuce.getNativeClient() instanceof RedisClient client)) {
                throw new IllegalStateException("virtdevice.limits.backend=redis needs a standalone Redis "
                        + "configured with spring.data.redis (Lettuce)");
            }
            redis = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            proxyManager = Bucket4jLettuce.casBasedBuilder(redis).expirationAfterWrite(EXPIRY).build();
            backend = "redis";
        } else {
            redis = null;
            proxyManager = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
                    .primaryKeyMapper(PrimaryKeyMapper.STRING)
                    .table("rate_limit_buckets")
                    .idColumn("id")
                    .stateColumn("state")
                    .expiresAtColumn("expires_at")
                    .expirationAfterWrite(EXPIRY)
                    .build();
            backend = "postgresql";
        }
        log.info("rate-limit buckets in {}", backend);
    }

    ProxyManager<String> proxyManager() {
        return proxyManager;
    }

    String backend() {
        return backend;
    }

    /** Deletes up to {@code batch} expired buckets (PostgreSQL; Redis expires its keys itself). */
    int removeExpired(int batch) {
        return proxyManager instanceof ExpiredEntriesCleaner cleaner && redis == null ? cleaner.removeExpired(batch) : 0;
    }

    @Override
    public void destroy() {
        if (redis != null) {
            redis.close();
        }
    }
}
