import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Set-up for bench/alexa.sh (the load itself comes from wrk and bench/alexa.lua).
 *
 *   java AlexaLoad.java devices BASE_URL API_KEY SWITCHES TOTAL
 *       makes sure the key's user has SWITCHES switches and TOTAL devices in all (the rest a mix of dimmers,
 *       contact, motion and temperature sensors and doorbells, as Discover would meet them), and prints one
 *       line per switch: "id alexaEndpointId".
 *   java AlexaLoad.java token BASE_URL EMAIL PASSWORD CLIENT_SECRET VENDOR_ID
 *       links the account the way Alexa does, through the real authorization-code flow of the
 *       alexa-smart-home client (authorization request, login form, consent form, code at the Amazon
 *       redirect URI, code redeemed with the client's secret), and prints the access token.
 */
public class AlexaLoad {

    private static final Pattern DEVICE = Pattern.compile(
            "\"id\"\\s*:\\s*\"([0-9a-f-]{36})\".*?\"type\"\\s*:\\s*\"([a-z_]+)\".*?\"alexaEndpointId\"\\s*:\\s*\"([^\"]+)\"");
    private static final String[] OTHERS = {"dimmer", "contact_sensor", "motion_sensor", "temperature_sensor", "doorbell"};

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "devices" -> devices(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "token" -> System.out.println(token(args[1], args[2], args[3], args[4], args[5]));
            default -> throw new IllegalArgumentException("devices or token");
        }
    }

    static void devices(String base, String key, int switches, int total) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String[]> all = list(http, base, key);
        long have = all.stream().filter(d -> d[1].equals("switch")).count();
        int n = all.size();
        for (long i = have; i < switches; i++, n++) {
            create(http, base, key, "switch", n);
        }
        for (int i = 0; n < total; i++, n++) {
            create(http, base, key, OTHERS[i % OTHERS.length], n);
        }
        list(http, base, key).stream().filter(d -> d[1].equals("switch")).limit(switches)
                .forEach(d -> System.out.println(d[0] + " " + d[2]));
    }

    private static void create(HttpClient http, String base, String key, String type, int n) throws Exception {
        String body = "{\"name\":\"bench " + type + " " + n + "\",\"type\":\"" + type + "\"}";
        HttpResponse<String> created = http.send(api(base + "/api/v1/devices", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 201) {
            throw new IllegalStateException("device creation failed: " + created.statusCode() + " " + created.body());
        }
    }

    /** Every device of the user as {id, type, alexaEndpointId}, in creation order. */
    private static List<String[]> list(HttpClient http, String base, String key) throws Exception {
        List<String[]> devices = new ArrayList<>();
        String cursor = null;
        do {
            String uri = base + "/api/v1/devices?limit=100" + (cursor == null ? "" : "&cursor=" + enc(cursor));
            String page = http.send(api(uri, key).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
            // one device object per "items" entry: split on the top-level device ids
            for (String item : page.split("\\{\"id\"")) {
                Matcher m = DEVICE.matcher("\"id\"" + item);
                if (m.lookingAt()) {
                    devices.add(new String[] {m.group(1), m.group(2), m.group(3)});
                }
            }
            Matcher next = Pattern.compile("\"nextCursor\"\\s*:\\s*\"([^\"]+)\"").matcher(page);
            cursor = next.find() ? next.group(1) : null;
        } while (cursor != null);
        return devices;
    }

    static String token(String base, String email, String password, String secret, String vendor) throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        String redirect = "https://pitangui.amazon.com/api/skill/link/" + vendor;
        String authorize = base + "/oauth2/authorize?response_type=code&client_id=alexa-smart-home&redirect_uri="
                + enc(redirect) + "&scope=" + enc("read write") + "&state=bench";
        HttpResponse<String> first = html(browser, authorize, null);
        expect(first, 302, "/login");
        HttpResponse<String> login = html(browser, resolve(base, location(first)), null);
        HttpResponse<String> signedIn = html(browser, base + "/login", form(Map.of("username", email,
                "password", password, "_csrf", hidden(login.body(), "_csrf"))));
        expect(signedIn, 302, "/oauth2/authorize");
        HttpResponse<String> toConsent = html(browser, resolve(base, location(signedIn)), null);
        HttpResponse<String> back = toConsent;
        if (location(toConsent).contains("/oauth2/consent")) {
            HttpResponse<String> page = html(browser, resolve(base, location(toConsent)), null);
            StringBuilder consent = new StringBuilder(form(Map.of("client_id", hidden(page.body(), "client_id"),
                    "state", hidden(page.body(), "state"), "_csrf", hidden(page.body(), "_csrf"))));
            Matcher scopes = Pattern.compile("name=\"scope\" value=\"([^\"]*)\"").matcher(page.body());
            while (scopes.find()) {
                consent.append("&scope=").append(enc(scopes.group(1)));
            }
            back = html(browser, base + "/oauth2/authorize", consent.toString());
        }
        expect(back, 302, redirect);
        Matcher code = Pattern.compile("[?&]code=([^&]+)").matcher(location(back));
        if (!code.find()) {
            throw new IllegalStateException("no code in " + location(back));
        }
        String basic = Base64.getEncoder().encodeToString(("alexa-smart-home:" + enc(secret)).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> token = browser.send(HttpRequest.newBuilder(URI.create(base + "/oauth2/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Basic " + basic)
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("grant_type", "authorization_code",
                        "code", java.net.URLDecoder.decode(code.group(1), StandardCharsets.UTF_8),
                        "redirect_uri", redirect))))
                .build(), HttpResponse.BodyHandlers.ofString());
        Matcher access = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(token.body());
        if (token.statusCode() != 200 || !access.find()) {
            throw new IllegalStateException("token endpoint: " + token.statusCode() + " " + token.body());
        }
        return access.group(1);
    }

    private static HttpResponse<String> html(HttpClient browser, String uri, String form) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).header("Accept", "text/html");
        if (form != null) {
            request.header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        }
        return browser.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void expect(HttpResponse<String> response, int status, String locationPart) {
        if (response.statusCode() != status || !location(response).contains(locationPart)) {
            throw new IllegalStateException("expected " + status + " to " + locationPart + ", got "
                    + response.statusCode() + " " + location(response) + " " + response.body());
        }
    }

    private static String location(HttpResponse<String> response) {
        return response.headers().firstValue("Location").orElse("");
    }

    private static String resolve(String base, String location) {
        return location.startsWith("http") ? location : base + location;
    }

    private static String hidden(String page, String name) {
        Matcher m = Pattern.compile("name=\"" + Pattern.quote(name) + "\" value=\"([^\"]*)\"").matcher(page);
        if (!m.find()) {
            throw new IllegalStateException("no " + name + " field in " + page);
        }
        return m.group(1).replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", "\"");
    }

    private static String form(Map<String, String> fields) {
        StringBuilder sb = new StringBuilder();
        new LinkedHashMap<>(fields).forEach((k, v) -> sb.append(sb.isEmpty() ? "" : "&").append(enc(k)).append('=')
                .append(enc(v)));
        return sb.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static HttpRequest.Builder api(String uri, String key) {
        return HttpRequest.newBuilder(URI.create(uri))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json");
    }
}
