package io.virtdevice.events;

import java.util.Locale;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/** Which channel carries change notifications between instances (see {@link EventsSettings#bus()}). */
final class EventBus {

    private EventBus() {}

    static boolean redis(Environment environment) {
        String bus = environment.getProperty("virtdevice.events.bus", "auto").strip().toLowerCase(Locale.ROOT);
        return switch (bus) {
            case "redis" -> true;
            case "postgres" -> false;
            case "auto" -> StringUtils.hasText(environment.getProperty("spring.data.redis.host"))
                    || StringUtils.hasText(environment.getProperty("spring.data.redis.url"));
            default -> throw new IllegalStateException(
                    "virtdevice.events.bus must be auto, postgres or redis, not '" + bus + "'");
        };
    }

    static final class OnRedis implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return redis(context.getEnvironment());
        }
    }

    static final class OnPostgres implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !redis(context.getEnvironment());
        }
    }
}
