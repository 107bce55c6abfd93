package io.virtdevice.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.Fixtures;
import io.virtdevice.testing.IntegrationTest;
import io.virtdevice.testing.SurfaceProbe;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives the authorization server over real HTTP the way a browser and a client do: the authorization
 * request, the login form, the consent form (each with the {@code _csrf} field parsed from the page), the
 * redirect back with the code, and the token, refresh and revocation endpoints.
 */
public final class OAuthFlow {

    public static final String WEB = "virtdevice-web";
    public static final String ALEXA = "alexa-smart-home";
    public static final String IFTTT = "ifttt-service";
    static final String MOBILE = "virtdevice-mobile";

    static final String WEB_REDIRECT = "https://app.virtdevice.test/oauth/callback";
    static final String ALEXA_NA = "https://pitangui.amazon.com/api/skill/link/M2TESTVENDOR";
    static final String ALEXA_EU = "https://layla.amazon.com/api/skill/link/M2TESTVENDOR";
    static final String ALEXA_FE = "https://alexa.amazon.co.jp/api/skill/link/M2TESTVENDOR";
    static final String IFTTT_REDIRECT = "https://ifttt.com/channels/virtdevice_test/authorize";
    static final String MOBILE_REDIRECT = "io.virtdevice.app:/oauth2redirect";

    static final Map<String, String> SECRETS = Map.of(
            WEB, IntegrationTest.WEB_CLIENT_SECRET,
            ALEXA, IntegrationTest.ALEXA_CLIENT_SECRET,
            IFTTT, IntegrationTest.IFTTT_CLIENT_SECRET);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, String> HTML = Map.of("Accept", "text/html");
    private static final String FORM = "application/x-www-form-urlencoded";

    final int port;

    public OAuthFlow(int port) {
        this.port = port;
    }

    /** A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge. */
    record Pkce(String verifier, String challenge) {
        static Pkce create() {
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            return of(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }

        /** The pair for a given verifier, well-formed or not. */
        static Pkce of(String verifier) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
                return new Pkce(verifier, Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Tokens as the token endpoint answered them. */
    public record Tokens(String accessToken, String refreshToken, String scope, long expiresIn) {}

    static String state() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** A browser: sends Accept: text/html and keeps cookies. */
    Api browser() {
        return new Api(port);
    }

    static Map<String, String> request(String clientId, String redirectUri, String scope, String state, Pkce pkce) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("response_type", "code");
        params.put("client_id", clientId);
        if (redirectUri != null) {
            params.put("redirect_uri", redirectUri);
        }
        if (scope != null) {
            params.put("scope", scope);
        }
        if (state != null) {
            params.put("state", state);
        }
        if (pkce != null) {
            params.put("code_challenge", pkce.challenge());
            params.put("code_challenge_method", "S256");
        }
        return params;
    }

    static String redirectFor(String clientId) {
        return switch (clientId) {
            case WEB -> WEB_REDIRECT;
            case ALEXA -> ALEXA_NA;
            case IFTTT -> IFTTT_REDIRECT;
            default -> MOBILE_REDIRECT;
        };
    }

    Api.Response get(Api browser, String pathOrUrl) {
        return browser.send("GET", path(pathOrUrl), null, HTML);
    }

    Api.Response authorize(Api browser, Map<String, String> params) {
        return get(browser, "/oauth2/authorize?" + query(params));
    }

    /**
     * Follows an authorization request through the login form: GET authorize -> 302 /login -> login page ->
     * POST the form with its _csrf field -> 302 back to authorize -> GET it. Returns that last response
     * (a redirect to the consent page, or straight to the client).
     */
    Api.Response signInThrough(Api browser, Map<String, String> params, String email) {
        Api.Response first = authorize(browser, params);
        assertThat(first.status()).as(first.toString()).isEqualTo(302);
        assertThat(first.header("Location")).endsWith("/login");
        Api.Response loginPage = get(browser, first.header("Location"));
        assertThat(loginPage.status()).isEqualTo(200);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("username", email);
        form.put("password", Fixtures.PASSWORD);
        form.put("_csrf", csrf(loginPage));
        Api.Response login = postForm(browser, "/login", form);
        assertThat(login.status()).as(login.toString()).isEqualTo(302);
        assertThat(login.header("Location")).contains("/oauth2/authorize?");
        return get(browser, login.header("Location"));
    }

    /** A browser form POST. */
    Api.Response postForm(Api browser, String path, Map<String, String> form) {
        return browser.send("POST", path, encode(form), Map.of("Content-Type", FORM, "Accept", "text/html"));
    }

    /** Opens the consent page a redirect points to and submits it with the given choices. */
    Api.Response consent(Api browser, Api.Response toConsentPage, List<String> scopes, boolean remember) {
        Api.Response page = consentPage(browser, toConsentPage);
        return submitConsent(browser, page, scopes, remember, false);
    }

    Api.Response consentPage(Api browser, Api.Response toConsentPage) {
        assertThat(toConsentPage.status()).as(toConsentPage.toString()).isEqualTo(302);
        assertThat(toConsentPage.header("Location")).contains("/oauth2/consent?");
        Api.Response page = get(browser, toConsentPage.header("Location"));
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        return page;
    }

    Api.Response submitConsent(Api browser, Api.Response page, List<String> scopes, boolean remember, boolean deny) {
        List<String[]> form = new ArrayList<>();
        form.add(new String[] {"client_id", hidden(page, "client_id")});
        form.add(new String[] {"state", hidden(page, "state")});
        scopes.forEach(s -> form.add(new String[] {"scope", s}));
        if (remember) {
            form.add(new String[] {"remember", "on"});
        }
        if (deny) {
            form.add(new String[] {"deny", "true"});
        }
        form.add(new String[] {"_csrf", csrf(page)});
        return browser.send("POST", "/oauth2/authorize", encode(form), Map.of("Content-Type", FORM, "Accept", "text/html"));
    }

    /** The whole browser part for a new user: sign in, consent (all scopes), back at the client with a code. */
    String code(Api browser, Map<String, String> params, String email) {
        Api.Response page = consentPage(browser, signInThrough(browser, params, email));
        Api.Response back = submitConsent(browser, page, offeredScopes(page), false, false);
        Map<String, String> result = redirectParameters(back, params.get("redirect_uri"));
        assertThat(result).containsEntry("state", params.get("state")).containsKey("code");
        return result.get("code");
    }

    /** The query parameters of a redirect to the client, checking it goes to exactly the redirect URI. */
    static Map<String, String> redirectParameters(Api.Response response, String redirectUri) {
        assertThat(response.status()).as(response.toString()).isEqualTo(302);
        String location = response.header("Location");
        assertThat(location).startsWith(redirectUri + "?");
        Map<String, String> params = new LinkedHashMap<>();
        for (String pair : location.substring(redirectUri.length() + 1).split("&")) {
            String[] kv = pair.split("=", 2);
            params.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                    kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
        }
        return params;
    }

    // ----------------------------------------------------------------------------------------------
    // client side
    // ----------------------------------------------------------------------------------------------

    /** POSTs a form to the token (or revocation/introspection) endpoint, with HTTP Basic client credentials. */
    Api.Response basic(String path, String clientId, String secret, Map<String, String> form) {
        String credentials = Base64.getEncoder().encodeToString(
                (URLEncoder.encode(clientId, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(secret, StandardCharsets.UTF_8))
                        .getBytes(StandardCharsets.UTF_8));
        return new Api(port).send("POST", path, encode(form), Map.of("Content-Type", FORM, "Authorization",
                "Basic " + credentials, "Accept", "application/json"));
    }

    /** POSTs a form with the credentials (if any) in the body, as client_secret_post and public clients do. */
    Api.Response post(String path, Map<String, String> form) {
        return new Api(port).send("POST", path, encode(form), Map.of("Content-Type", FORM, "Accept", "application/json"));
    }

    /** Redeems a code the way the client type does: Basic for web and Alexa, body for IFTTT, none for mobile. */
    Api.Response redeem(String clientId, String code, String redirectUri, Pkce pkce) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "authorization_code");
        form.put("code", code);
        if (redirectUri != null) {
            form.put("redirect_uri", redirectUri);
        }
        if (pkce != null) {
            form.put("code_verifier", pkce.verifier());
        }
        return clientCall("/oauth2/token", clientId, form);
    }

    Api.Response refresh(String clientId, String refreshToken) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken);
        return clientCall("/oauth2/token", clientId, form);
    }

    public Api.Response revoke(String clientId, String token) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("token", token);
        return clientCall("/oauth2/revoke", clientId, form);
    }

    Api.Response clientCall(String path, String clientId, Map<String, String> form) {
        return switch (clientId) {
            case WEB, ALEXA -> basic(path, clientId, SECRETS.get(clientId), form);
            case IFTTT -> {
                Map<String, String> body = new LinkedHashMap<>(form);
                body.put("client_id", clientId);
                body.put("client_secret", SECRETS.get(clientId));
                yield post(path, body);
            }
            default -> {
                Map<String, String> body = new LinkedHashMap<>(form);
                body.put("client_id", clientId);
                yield post(path, body);
            }
        };
    }

    static Tokens tokens(Api.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        var json = response.json();
        assertThat(json.path("token_type").asString()).isEqualTo("Bearer");
        return new Tokens(json.path("access_token").asString(), json.path("refresh_token").asString(null),
                json.path("scope").asString(null), json.path("expires_in").asLong());
    }

    /**
     * The status of a GET with the access token on its client's own surface: the REST API for the web and
     * mobile apps, the Alexa or IFTTT endpoints (their test probes, {@link SurfaceProbe}) for theirs.
     */
    int use(String clientId, String accessToken) {
        return new Api(port).bearer(accessToken).get(surfacePath(clientId)).status();
    }

    static String surfacePath(String clientId) {
        return switch (clientId) {
            case ALEXA -> SurfaceProbe.ALEXA;
            case IFTTT -> SurfaceProbe.IFTTT;
            default -> "/api/v1/devices";
        };
    }

    /** Signs a new user in through the whole flow and returns the tokens. */
    public Tokens link(String clientId, String scope, String email) {
        Pkce pkce = clientId.equals(MOBILE) || clientId.equals(WEB) ? Pkce.create() : null;
        String redirect = redirectFor(clientId);
        String code = code(browser(), request(clientId, redirect, scope, state(), pkce), email);
        return tokens(redeem(clientId, code, redirect, pkce));
    }

    // ----------------------------------------------------------------------------------------------

    /** The scopes the consent page offers (its checkboxes). */
    static List<String> offeredScopes(Api.Response page) {
        List<String> scopes = new ArrayList<>();
        Matcher m = Pattern.compile("name=\"scope\" value=\"([^\"]*)\"").matcher(page.body());
        while (m.find()) {
            scopes.add(m.group(1));
        }
        return scopes;
    }

    static String csrf(Api.Response page) {
        return hidden(page, "_csrf");
    }

    static String hidden(Api.Response page, String name) {
        Matcher m = Pattern.compile("name=\"" + Pattern.quote(name) + "\" value=\"([^\"]*)\"").matcher(page.body());
        assertThat(m.find()).as("the page has a " + name + " field: " + page.body()).isTrue();
        return m.group(1).replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", "\"");
    }

    static String query(Map<String, String> params) {
        return encode(params.entrySet().stream().map(e -> new String[] {e.getKey(), e.getValue()}).toList());
    }

    static String encode(Map<String, String> form) {
        return query(form);
    }

    static String encode(List<String[]> pairs) {
        StringBuilder sb = new StringBuilder();
        for (String[] pair : pairs) {
            if (!sb.isEmpty()) {
                sb.append('&');
            }
            sb.append(URLEncoder.encode(pair[0], StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(pair[1], StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    private String path(String pathOrUrl) {
        if (pathOrUrl.startsWith("http://") || pathOrUrl.startsWith("https://")) {
            URI uri = URI.create(pathOrUrl);
            assertThat(uri.getHost()).as("a redirect within VirtDevice").isEqualTo("127.0.0.1");
            return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        }
        return pathOrUrl;
    }
}
