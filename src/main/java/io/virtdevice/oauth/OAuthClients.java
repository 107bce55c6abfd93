package io.virtdevice.oauth;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * The clients this instance serves, derived from {@link OAuthSettings} and checked at start-up (a bad
 * redirect URI or a weak secret stops the application). A client that is not configured here is unknown to
 * this instance even if an earlier configuration registered it in the database.
 */
@Component
class OAuthClients {

    /** Scopes VirtDevice grants: the same two the REST API checks. */
    static final List<String> SCOPES = List.of("read", "write");

    /** IFTTT asks for {@code scope=ifttt}, meaning "everything the service needs". */
    static final String IFTTT_SCOPE = "ifttt";

    private static final Pattern CLIENT_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{1,99}");
    private static final Pattern ALEXA_VENDOR_ID = Pattern.compile("[A-Za-z0-9]{1,64}");
    private static final Pattern IFTTT_SERVICE_ID = Pattern.compile("[a-z0-9_]{1,64}");
    private static final Pattern PRIVATE_USE_SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*\\.[a-z0-9+.-]+");
    private static final int MIN_SECRET_LENGTH = 32;

    /**
     * One configured client.
     *
     * @param secret the configured secret, or null (public client, or a secret set by the rotation command)
     * @param refreshTokenLifetime null for refresh tokens that never expire
     */
    record Definition(String clientId, String name, OAuthClientType type, List<String> redirectUris,
            List<String> scopes, Duration accessTokenLifetime, Duration refreshTokenLifetime, boolean requirePkce,
            String secret) {}

    private final Map<String, Definition> clients;
    private final OAuthSettings settings;

    OAuthClients(OAuthSettings settings) {
        this.settings = settings;
        this.clients = definitions(settings);
    }

    List<Definition> all() {
        return List.copyOf(clients.values());
    }

    Optional<Definition> find(String clientId) {
        return Optional.ofNullable(clients.get(clientId));
    }

    boolean serves(String clientId) {
        return clients.containsKey(clientId);
    }

    Duration refreshGracePeriod() {
        return settings.refreshGracePeriod();
    }

    Duration refreshRaceWindow() {
        return settings.refreshRaceWindow();
    }

    private static Map<String, Definition> definitions(OAuthSettings settings) {
        check(settings.accessTokenLifetime().compareTo(Duration.ofMinutes(6)) >= 0
                        && settings.accessTokenLifetime().compareTo(Duration.ofDays(1)) <= 0,
                "virtdevice.oauth.access-token-lifetime must be between 6 minutes and 1 day");
        check(settings.refreshTokenLifetime().compareTo(Duration.ofHours(1)) >= 0,
                "virtdevice.oauth.refresh-token-lifetime must be at least 1 hour");
        check(!settings.refreshGracePeriod().isNegative()
                        && settings.refreshGracePeriod().compareTo(Duration.ofDays(30)) <= 0,
                "virtdevice.oauth.refresh-grace-period must be between 0 and 30 days");
        check(!settings.refreshRaceWindow().isNegative()
                        && settings.refreshRaceWindow().compareTo(Duration.ofMinutes(1)) <= 0,
                "virtdevice.oauth.refresh-race-window must be between 0 and 1 minute");
        check(!settings.tokenCacheTtl().isNegative() && settings.tokenCacheTtl().compareTo(Duration.ofMinutes(1)) <= 0,
                "virtdevice.oauth.token-cache-ttl must be between 0 and 1 minute");
        OAuthSettings.Clients c = settings.clients();
        Duration access = settings.accessTokenLifetime();
        Duration refresh = settings.refreshTokenLifetime();
        List<Definition> list = new ArrayList<>();
        if (!empty(c.web().redirectUris())) {
            list.add(new Definition(c.web().clientId(), "VirtDevice web", OAuthClientType.WEB,
                    redirectUris("web", c.web().redirectUris(), false), scopes("web", c.web().scopes()), access, refresh,
                    c.web().requirePkce(), secret("web", c.web().clientSecret())));
        }
        if (hasText(c.alexa().vendorId())) {
            String vendor = c.alexa().vendorId().strip();
            check(ALEXA_VENDOR_ID.matcher(vendor).matches(),
                    "virtdevice.oauth.clients.alexa.vendor-id must be letters and digits only");
            // the three regional account-linking redirects Amazon issues for one vendor id (D-21)
            List<String> uris = List.of(
                    "https://pitangui.amazon.com/api/skill/link/" + vendor,
                    "https://layla.amazon.com/api/skill/link/" + vendor,
                    "https://alexa.amazon.co.jp/api/skill/link/" + vendor);
            list.add(new Definition(c.alexa().clientId(), "Amazon Alexa", OAuthClientType.ALEXA, uris,
                    scopes("alexa", c.alexa().scopes()), access,
                    null, c.alexa().requirePkce(), secret("alexa", c.alexa().clientSecret())));
        }
        if (hasText(c.ifttt().serviceId())) {
            String service = c.ifttt().serviceId().strip();
            check(IFTTT_SERVICE_ID.matcher(service).matches(),
                    "virtdevice.oauth.clients.ifttt.service-id must be lower-case letters, digits and '_'");
            list.add(new Definition(c.ifttt().clientId(), "IFTTT", OAuthClientType.IFTTT,
                    List.of("https://ifttt.com/channels/" + service + "/authorize"), scopes("ifttt", c.ifttt().scopes()),
                    access, null, false,
                    secret("ifttt", c.ifttt().clientSecret())));
        }
        if (!empty(c.mobile().redirectUris())) {
            list.add(new Definition(c.mobile().clientId(), "VirtDevice mobile app", OAuthClientType.MOBILE,
                    redirectUris("mobile", c.mobile().redirectUris(), true), scopes("mobile", c.mobile().scopes()), access,
                    refresh, true, null));
        }
        Map<String, Definition> byId = new LinkedHashMap<>();
        for (Definition d : list) {
            check(CLIENT_ID.matcher(d.clientId()).matches(), "OAuth client id '" + d.clientId()
                    + "' must be 2-100 characters of a-z, 0-9, '.', '_' and '-'");
            check(byId.put(d.clientId(), d) == null, "OAuth client id '" + d.clientId() + "' is configured twice");
        }
        return byId;
    }

    private static List<String> scopes(String client, List<String> configured) {
        if (empty(configured)) {
            return SCOPES;
        }
        List<String> scopes = configured.stream().map(String::strip).distinct().toList();
        check(SCOPES.containsAll(scopes), "virtdevice.oauth.clients." + client + ".scopes must only name " + SCOPES);
        return SCOPES.stream().filter(scopes::contains).toList();
    }

    private static String secret(String client, String secret) {
        if (!hasText(secret)) {
            return null;
        }
        check(secret.length() >= MIN_SECRET_LENGTH && secret.chars().noneMatch(Character::isWhitespace)
                        && secret.chars().allMatch(ch -> ch >= 0x21 && ch < 0x7f),
                "virtdevice.oauth.clients." + client + ".client-secret must be at least " + MIN_SECRET_LENGTH
                        + " printable ASCII characters (use the rotation command to generate one)");
        return secret;
    }

    /**
     * Exact redirect URIs: https (http only for a loopback host), no fragment, no user info; the mobile app
     * may also use a private-use scheme with a reverse-domain name (RFC 8252 §7.1).
     */
    private static List<String> redirectUris(String client, List<String> uris, boolean allowPrivateScheme) {
        List<String> result = new ArrayList<>();
        for (String raw : uris) {
            String uri = raw == null ? "" : raw.strip();
            URI parsed;
            try {
                parsed = new URI(uri);
            } catch (URISyntaxException e) {
                throw new IllegalStateException("virtdevice.oauth.clients." + client + ".redirect-uris: '" + uri
                        + "' is not a URI");
            }
            String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
            boolean loopback = Set.of("localhost", "127.0.0.1", "[::1]").contains(
                    parsed.getHost() == null ? "" : parsed.getHost().toLowerCase(Locale.ROOT));
            boolean web = (scheme.equals("https") || (scheme.equals("http") && loopback)) && parsed.getHost() != null;
            boolean privateUse = allowPrivateScheme && PRIVATE_USE_SCHEME.matcher(scheme).matches();
            check(parsed.isAbsolute() && parsed.getFragment() == null && parsed.getRawUserInfo() == null
                            && (web || privateUse),
                    "virtdevice.oauth.clients." + client + ".redirect-uris: '" + uri
                            + "' must be an absolute https URL without fragment or user info"
                            + (allowPrivateScheme ? " (or a private-use scheme such as io.virtdevice.app:/cb)" : ""));
            result.add(uri);
        }
        return List.copyOf(result);
    }

    private static boolean empty(List<String> list) {
        return list == null || list.stream().allMatch(s -> s == null || s.isBlank());
    }

    private static boolean hasText(String s) {
        return s != null && !s.isBlank();
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("Invalid OAuth configuration: " + message);
        }
    }
}
