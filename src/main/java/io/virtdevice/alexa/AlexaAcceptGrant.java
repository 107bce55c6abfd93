package io.virtdevice.alexa;

import io.virtdevice.platform.security.CurrentUser;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code Alexa.Authorization.AcceptGrant} (shared/spec/alexa.md §5): Alexa hands over a Login-with-Amazon
 * authorization code for the user whose VirtDevice access token is the grantee. The code is exchanged at once,
 * exactly once (it is single-use and short-lived: never retried), within {@code virtdevice.alexa.lwa.timeout};
 * the tokens are stored as the user's link (replacing any earlier one) with the region of the Lambda that
 * forwarded the directive. Every failure after the directive was understood, a refused grantee token included,
 * is an {@code Alexa.Authorization} ErrorResponse {@code ACCEPT_GRANT_FAILED}; never a success without tokens.
 */
@Service
class AlexaAcceptGrant {

    /** The Lambda's region, as NA, EU or FE (docs/alexa.md "The Lambda"). */
    static final String REGION_HEADER = "X-VirtDevice-Alexa-Region";

    private static final Logger log = LoggerFactory.getLogger(AlexaAcceptGrant.class);
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String NAMESPACE = "Alexa.Authorization";
    private static final int MAX_CODE_LENGTH = 2048;

    private final LoginWithAmazon lwa;
    private final LwaLinks links;
    private final AlexaLinkSettings settings;

    AlexaAcceptGrant(LoginWithAmazon lwa, LwaLinks links, AlexaLinkSettings settings) {
        this.lwa = lwa;
        this.links = links;
        this.settings = settings;
    }

    /**
     * @param regionHeader the {@link #REGION_HEADER} value, or null
     * @param grantee resolves the grantee token to its user, throwing {@link AlexaError} when it is refused
     * @throws AlexaError INVALID_DIRECTIVE for a malformed grant or region
     */
    ObjectNode accept(JsonNode payload, String regionHeader, AlexaDirectives.Echo echo, Supplier<CurrentUser> grantee) {
        JsonNode grant = payload.path("grant");
        if (!"OAuth2.AuthorizationCode".equals(grant.path("type").asString(null))) {
            throw AlexaError.invalidDirective("AcceptGrant needs payload.grant.type OAuth2.AuthorizationCode.");
        }
        String code = grant.path("code").isString() ? grant.path("code").asString() : "";
        if (code.isEmpty() || code.length() > MAX_CODE_LENGTH || code.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw AlexaError.invalidDirective("AcceptGrant needs payload.grant.code.");
        }
        AlexaRegion region = region(regionHeader);
        CurrentUser user;
        try {
            user = grantee.get();
        } catch (AlexaError e) {
            return failed(echo, "The grantee token was refused: " + e.getMessage());
        }
        try {
            return switch (lwa.exchange(code)) {
                case LoginWithAmazon.Granted granted -> {
                    links.link(user.context(), region, granted);
                    yield response(echo);
                }
                case LoginWithAmazon.Refused r -> {
                    log.warn("AcceptGrant of user {}: Login with Amazon refused the code (HTTP {} {})",
                            user.userId(), r.status(), r.error());
                    yield failed(echo, "Login with Amazon refused the grant code (" + r.error() + ").");
                }
                case LoginWithAmazon.Unavailable u -> {
                    log.warn("AcceptGrant of user {}: no tokens from Login with Amazon ({})", user.userId(),
                            u.reason());
                    yield failed(echo, "Login with Amazon gave no tokens; enable the skill again.");
                }
            };
        } catch (RuntimeException e) {
            log.error("AcceptGrant of user {} failed", user.userId(), e);
            return failed(echo, "The link could not be stored; enable the skill again.");
        }
    }

    private AlexaRegion region(String header) {
        if (header == null) {
            return settings.defaultRegion();
        }
        return switch (header.strip()) {
            case "NA" -> AlexaRegion.NA;
            case "EU" -> AlexaRegion.EU;
            case "FE" -> AlexaRegion.FE;
            default -> throw AlexaError.invalidDirective(REGION_HEADER + " must be NA, EU or FE.");
        };
    }

    private static ObjectNode response(AlexaDirectives.Echo echo) {
        ObjectNode message = JSON.objectNode();
        ObjectNode event = message.putObject("event");
        event.set("header", AlexaDirectives.header(NAMESPACE, "AcceptGrant.Response", echo.correlationToken()));
        event.putObject("payload");
        return message;
    }

    private static ObjectNode failed(AlexaDirectives.Echo echo, String message) {
        return AlexaDirectives.error(NAMESPACE, echo, new AlexaError("ACCEPT_GRANT_FAILED", message));
    }
}
