package io.virtdevice.devices;

import io.virtdevice.platform.security.CurrentUser;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Managing a device's URL-trigger links (under the authenticated API) and firing them (public: the token
 * in the path is the credential).
 */
@RestController
class UrlTriggerController {

    private final UrlTriggerManagement triggers;

    UrlTriggerController(UrlTriggerManagement triggers) {
        this.triggers = triggers;
    }

    /** {@code value} may be JSON of the property's type or text as a query string would carry it. */
    record CreateTriggerRequest(String name, String property, JsonNode value) {}

    record Fired(boolean ok, Device device) {}

    /** The JSON body a link may be fired with. */
    record FireRequest(String property, JsonNode value) {}

    @PostMapping("/api/v1/devices/{id}/triggers")
    ResponseEntity<IssuedUrlTrigger> create(@PathVariable UUID id, @RequestBody CreateTriggerRequest body,
            @AuthenticationPrincipal CurrentUser user) {
        IssuedUrlTrigger issued = triggers.create(id, body.name(), blankToNull(body.property()), body.value(),
                ChangeSource.of(user.source()));
        return ResponseEntity.created(URI.create("/api/v1/devices/" + id + "/triggers/" + issued.id()))
                .cacheControl(CacheControl.noStore())
                .body(issued);
    }

    @GetMapping("/api/v1/devices/{id}/triggers")
    Map<String, List<UrlTrigger>> list(@PathVariable UUID id) {
        return Map.of("items", triggers.list(id));
    }

    @DeleteMapping("/api/v1/devices/{id}/triggers/{triggerId}")
    ResponseEntity<Void> revoke(@PathVariable UUID id, @PathVariable UUID triggerId,
            @AuthenticationPrincipal CurrentUser user) {
        triggers.revoke(id, triggerId, ChangeSource.of(user.source()));
        return ResponseEntity.noContent().build();
    }

    /** Query parameters, or a form body: values arrive as text and are read by the property's type. */
    @RequestMapping(path = "/t/{token}", method = {RequestMethod.GET, RequestMethod.POST})
    ResponseEntity<Fired> fire(@PathVariable String token,
            @RequestParam(required = false) String property, @RequestParam(required = false) String value) {
        return fired(triggers.fire(token, property, value == null ? null : JsonNodeFactory.instance.stringNode(value)));
    }

    // A required body keeps this mapping from matching body-less POSTs, which the one above handles.
    @PostMapping(path = "/t/{token}", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<Fired> fireWithJson(@PathVariable String token,
            @RequestBody FireRequest body, @RequestParam(required = false) String property,
            @RequestParam(required = false) String value) {
        String chosenProperty = body.property() != null ? body.property() : property;
        JsonNode chosenValue = body.value() != null
                ? body.value()
                : value == null ? null : JsonNodeFactory.instance.stringNode(value);
        return fired(triggers.fire(token, chosenProperty, chosenValue));
    }

    private static ResponseEntity<Fired> fired(Device device) {
        return ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                .header("Referrer-Policy", "no-referrer")
                .body(new Fired(true, device));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
