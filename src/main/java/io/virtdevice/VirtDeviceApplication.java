package io.virtdevice;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** VirtDevice: virtual smart-home devices as glue between Alexa, IFTTT, webhooks and scripts. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class VirtDeviceApplication {

    public static void main(String[] args) {
        SpringApplication.run(VirtDeviceApplication.class, args);
    }
}
