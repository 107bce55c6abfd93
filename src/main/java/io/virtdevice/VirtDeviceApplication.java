package io.virtdevice;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;

/** VirtDevice: virtual smart-home devices as glue between Alexa, IFTTT, webhooks and scripts. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class VirtDeviceApplication {

    private static final String ROTATE_SECRET = "--virtdevice.oauth.rotate-secret=";

    public static void main(String[] args) {
        boolean rotation = Arrays.stream(args).anyMatch(a -> a.startsWith(ROTATE_SECRET));
        if (!rotation) {
            SpringApplication.run(VirtDeviceApplication.class, args);
            return;
        }
        // A one-off command: start (migrations register clients and rotate the secret), print it, exit. It
        // listens on a free port, so it can run beside a running instance against an external database.
        List<String> arguments = new ArrayList<>(Arrays.asList(args));
        if (arguments.stream().noneMatch(a -> a.startsWith("--server.port="))) {
            arguments.add("--server.port=0");
        }
        ConfigurableApplicationContext context =
                SpringApplication.run(VirtDeviceApplication.class, arguments.toArray(String[]::new));
        System.exit(SpringApplication.exit(context));
    }
}
