package io.virtdevice.platform.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * HTTP-level settings.
 *
 * @param maxBodyBytes largest request body accepted, in bytes
 * @param publicBaseUrl the URL users reach VirtDevice at; used in e-mails and URL-trigger links
 */
@ConfigurationProperties("virtdevice.web")
public record WebSettings(
        @DefaultValue("65536") long maxBodyBytes, @DefaultValue("http://localhost:8080") String publicBaseUrl) {

    /** The base URL without a trailing slash. */
    public String baseUrl() {
        return publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1) : publicBaseUrl;
    }
}
