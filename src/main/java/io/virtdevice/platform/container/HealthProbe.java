package io.virtdevice.platform.container;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * The container health check: exits 0 when {@code /actuator/health/readiness} on this container's port
 * answers 200, 1 otherwise. The image has no curl or wget (nothing but the Java runtime), and OCI images
 * built by Jib carry no HEALTHCHECK, so compose.yaml runs
 * {@code java -cp /app/classes io.virtdevice.platform.container.HealthProbe}. Plain JDK only: it starts in a
 * fraction of a second and loads nothing of the application.
 */
public final class HealthProbe {

    private HealthProbe() {}

    public static void main(String[] args) {
        String port = System.getenv().getOrDefault("PORT", "8080");
        String url = args.length > 0 ? args[0] : "http://127.0.0.1:" + port + "/actuator/health/readiness";
        System.exit(check(url) ? 0 : 1);
    }

    static boolean check(String url) {
        try {
            HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
            connection.setConnectTimeout(2000);
            connection.setReadTimeout(3000);
            int status = connection.getResponseCode();
            connection.disconnect();
            return status == 200;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }
}
