package io.virtdevice.platform.web;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.stereotype.Component;

/**
 * The running version, from {@code META-INF/build-info.properties} (spring-boot-maven-plugin's build-info goal,
 * the same source as {@code /actuator/info}); "development" when run from classes that Maven did not build.
 * The dashboard footer shows it ({@code ${@appVersion.version()}} in layout.html).
 */
@Component("appVersion")
public class AppVersion {

    private final String version;

    AppVersion(ObjectProvider<BuildProperties> build) {
        BuildProperties properties = build.getIfAvailable();
        this.version = properties == null || properties.getVersion() == null ? "development" : properties.getVersion();
    }

    public String version() {
        return version;
    }
}
