package io.virtdevice.testing;

import io.virtdevice.VirtDeviceApplication;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A whole application started the way {@code java -jar} would start it (production defaults, no test
 * customisations), for tests of configurations, start-up refusals, restarts and shutdown. Settings go in
 * as command-line arguments, so they win over the embedded-database system properties Surefire sets.
 */
public final class AppInstance implements AutoCloseable {

    private final ConfigurableApplicationContext context;

    private AppInstance(ConfigurableApplicationContext context) {
        this.context = context;
    }

    /** Starts the app on a random port; {@code settings} are {@code key=value} pairs. */
    public static AppInstance start(List<Class<?>> extraSources, String... settings) {
        List<Class<?>> sources = new ArrayList<>();
        sources.add(VirtDeviceApplication.class);
        sources.addAll(extraSources);
        List<String> args = new ArrayList<>();
        args.add("--server.port=0");
        for (String setting : settings) {
            args.add("--" + setting);
        }
        return new AppInstance(new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
                .run(args.toArray(String[]::new)));
    }

    public static AppInstance start(String... settings) {
        return start(List.of(), settings);
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    public int port() {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    public Api api() {
        return new Api(port());
    }

    @Override
    public void close() {
        context.close();
    }
}
