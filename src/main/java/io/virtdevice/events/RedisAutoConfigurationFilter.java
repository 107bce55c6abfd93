package io.virtdevice.events;

import org.springframework.boot.autoconfigure.AutoConfigurationImportFilter;
import org.springframework.boot.autoconfigure.AutoConfigurationMetadata;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Keeps Spring Boot's Redis auto-configuration (connection factory, templates, health check) out unless
 * Redis is configured: the starter is always on the classpath, and a default run must neither connect to
 * nor report on a Redis server that does not exist.
 */
public class RedisAutoConfigurationFilter implements AutoConfigurationImportFilter, EnvironmentAware {

    private static final String REDIS_PACKAGE = "org.springframework.boot.data.redis.";

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public boolean[] match(String[] autoConfigurationClasses, AutoConfigurationMetadata metadata) {
        boolean redis = EventBus.redis(environment);
        boolean[] matches = new boolean[autoConfigurationClasses.length];
        for (int i = 0; i < autoConfigurationClasses.length; i++) {
            String candidate = autoConfigurationClasses[i];
            matches[i] = redis || candidate == null || !candidate.startsWith(REDIS_PACKAGE);
        }
        return matches;
    }
}
