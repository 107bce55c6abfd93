package io.virtdevice.events;

import io.virtdevice.devices.DeviceStateChanged;
import io.virtdevice.platform.security.RevocationRelay;
import io.virtdevice.platform.security.Revocations;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.transaction.event.TransactionalEventListener;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Redis bus (when Redis is configured): the instance that commits a change publishes its ids on
 * {@code virtdevice.events.redis-channel} right after the commit; every instance subscribes and hands the
 * notice to its {@link EventStreams}. Pub/sub is fire-and-forget: a notice lost while Redis or an instance
 * is down is recovered by the client's {@code Last-Event-ID} resume, not by Redis.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(EventBus.OnRedis.class)
class RedisEventRelay {

    private static final Logger log = LoggerFactory.getLogger(RedisEventRelay.class);

    @Bean
    RedisMessageListenerContainer deviceEventsListener(RedisConnectionFactory connections, EventStreams streams,
            Revocations revocations, JsonMapper json, EventsSettings settings) {
        RedisMessageListenerContainer container = new RedisMessageListenerContainer();
        container.setConnectionFactory(connections);
        container.addMessageListener((message, pattern) -> {
            try {
                JsonNode node = json.readTree(new String(message.getBody(), StandardCharsets.UTF_8));
                streams.onNotice(new EventNotice(UUID.fromString(node.path("id").asString()),
                        node.hasNonNull("tenant_id") ? UUID.fromString(node.path("tenant_id").asString()) : null,
                        UUID.fromString(node.path("user_id").asString())));
            } catch (RuntimeException e) {
                log.warn("ignoring malformed device event notice");
            }
        }, new ChannelTopic(settings.redisChannel()));
        container.addMessageListener((message, pattern) -> RevocationNotices.receive(revocations,
                        new String(message.getBody(), StandardCharsets.UTF_8)),
                new ChannelTopic(revocationChannel(settings)));
        return container;
    }

    /** Revocation notices ({@link RevocationNotices}) on their own channel next to the events'. */
    @Bean
    RevocationRelay redisRevocationRelay(StringRedisTemplate redis, EventsSettings settings) {
        String channel = revocationChannel(settings);
        return revocation -> {
            try {
                redis.convertAndSend(channel, RevocationNotices.encode(revocation));
            } catch (RuntimeException e) {
                log.warn("could not publish revocation {} to Redis: {}", revocation, e.toString());
            }
        };
    }

    static String revocationChannel(EventsSettings settings) {
        return settings.redisChannel() + ":revocations";
    }

    @Bean
    Publisher deviceEventsPublisher(StringRedisTemplate redis, JsonMapper json, EventsSettings settings) {
        return new Publisher(redis, json, settings.redisChannel());
    }

    /** Publishes each committed change's ids. */
    static final class Publisher {

        private final StringRedisTemplate redis;
        private final JsonMapper json;
        private final String channel;

        Publisher(StringRedisTemplate redis, JsonMapper json, String channel) {
            this.redis = redis;
            this.json = json;
            this.channel = channel;
        }

        // fallbackExecution: a change that was a transaction of its own is published after it committed
        @TransactionalEventListener(fallbackExecution = true)
        void on(DeviceStateChanged event) {
            try {
                redis.convertAndSend(channel, json.writeValueAsString(Map.of("id", event.eventId(),
                        "tenant_id", event.tenantId(), "user_id", event.userId())));
            } catch (RuntimeException e) {
                // The change is committed either way; open streams catch up on resume.
                log.warn("could not publish device event {} to Redis: {}", event.eventId(), e.toString());
            }
        }
    }
}
