package io.virtdevice.platform.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * HTTP-level settings.
 *
 * @param maxBodyBytes largest request body accepted, in bytes
 * @param publicBaseUrl the URL users reach VirtDevice at; used in e-mails and URL-trigger links
 * @param trustedProxies a regular expression for the addresses of the proxies whose {@code X-Forwarded-For},
 *     {@code X-Forwarded-Proto}, {@code X-Forwarded-Host} and {@code X-Forwarded-Port} are believed, when
 *     {@code server.forward-headers-strategy=native} ({@link ClientAddressFilter}); unset: every loopback,
 *     link-local and private address (what Tomcat's {@code server.tomcat.remoteip.internal-proxies} trusted)
 */
@ConfigurationProperties("virtdevice.web")
public record WebSettings(
        @DefaultValue("65536") long maxBodyBytes, @DefaultValue("http://localhost:8080") String publicBaseUrl,
        String trustedProxies) {

    /** The base URL without a trailing slash. */
    public String baseUrl() {
        return publicBaseUrl.endsWith("/") ? publicBaseUrl.substring(0, publicBaseUrl.length() - 1) : publicBaseUrl;
    }
}
