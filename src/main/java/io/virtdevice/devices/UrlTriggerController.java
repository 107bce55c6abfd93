package io.virtdevice.devices;

import io.virtdevice.platform.security.CurrentUser;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
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

    /**
     * {@code value} may be JSON of the property's type or text as a query string would carry it;
     * {@code postOnly} makes a link that a GET cannot fire.
     */
    record CreateTriggerRequest(String name, String property, JsonNode value, Boolean postOnly) {}

    /** Changes a link's name or its POST-only flag; an absent field stays as it is. */
    record UpdateTriggerRequest(String name, Boolean postOnly) {}

    record Fired(boolean ok, Device device) {}

    /** What a link preview, prefetch or HEAD gets: nothing fired. */
    record Preview(boolean ok, boolean fired, String description) {}

    static final String PREVIEW_DESCRIPTION = "A VirtDevice trigger link. Link previews, prefetches and HEAD "
            + "requests do not fire it; open it, or POST to it, to operate the device.";

    /** The JSON body a link may be fired with. */
    record FireRequest(String property, JsonNode value) {}

    @PostMapping("/api/v1/devices/{id}/triggers")
    ResponseEntity<IssuedUrlTrigger> create(@PathVariable UUID id, @RequestBody CreateTriggerRequest body,
            @AuthenticationPrincipal CurrentUser user) {
        IssuedUrlTrigger issued = triggers.create(id, body.name(), blankToNull(body.property()), body.value(),
                Boolean.TRUE.equals(body.postOnly()), ChangeSource.of(user.source()));
        return ResponseEntity.created(URI.create("/api/v1/devices/" + id + "/triggers/" + issued.id()))
                .cacheControl(CacheControl.noStore())
                .body(issued);
    }

    @GetMapping("/api/v1/devices/{id}/triggers")
    Map<String, List<UrlTrigger>> list(@PathVariable UUID id) {
        return Map.of("items", triggers.list(id));
    }

    @PatchMapping("/api/v1/devices/{id}/triggers/{triggerId}")
    UrlTrigger update(@PathVariable UUID id, @PathVariable UUID triggerId, @RequestBody UpdateTriggerRequest body) {
        return triggers.update(id, triggerId, body.name(), body.postOnly());
    }

    @DeleteMapping("/api/v1/devices/{id}/triggers/{triggerId}")
    ResponseEntity<Void> revoke(@PathVariable UUID id, @PathVariable UUID triggerId,
            @AuthenticationPrincipal CurrentUser user) {
        triggers.revoke(id, triggerId, ChangeSource.of(user.source()));
        return ResponseEntity.noContent().build();
    }

    /**
     * Query parameters, or a form body: values arrive as text and are read by the property's type. A HEAD,
     * a prefetch or a link-preview bot ({@link LinkPreviews}) gets a description and fires nothing.
     */
    @RequestMapping(path = "/t/{token}", method = {RequestMethod.GET, RequestMethod.HEAD, RequestMethod.POST})
    ResponseEntity<?> fire(@PathVariable String token,
            @RequestParam(required = false) String property, @RequestParam(required = false) String value,
            HttpServletRequest request) throws HttpMediaTypeNotSupportedException {
        boolean viaGet = !"POST".equals(request.getMethod());
        if (!viaGet && request.getContentType() != null && !isForm(request.getContentType())) {
            // JSON has its own mapping below; anything else (multipart, text) would be ignored, not read
            throw new HttpMediaTypeNotSupportedException("Content-Type '" + request.getContentType()
                    + "' is not supported here; use a form, a query string or JSON.");
        }
        if (viaGet && LinkPreviews.isLookOnly(request)) {
            return ResponseEntity.ok()
                    .cacheControl(CacheControl.noStore())
                    .header("Referrer-Policy", "no-referrer")
                    .header("X-Robots-Tag", "noindex, nofollow")
                    .body(new Preview(false, false, PREVIEW_DESCRIPTION));
        }
        return fired(triggers.fire(token, property, value == null ? null : JsonNodeFactory.instance.stringNode(value),
                viaGet));
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
        return fired(triggers.fire(token, chosenProperty, chosenValue, false));
    }

    private static ResponseEntity<Fired> fired(Device device) {
        return ResponseEntity.ok()
                .cacheControl(CacheControl.noStore())
                .header("Referrer-Policy", "no-referrer")
                .body(new Fired(true, device));
    }

    private static boolean isForm(String contentType) {
        try {
            return MediaType.APPLICATION_FORM_URLENCODED.includes(MediaType.parseMediaType(contentType));
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
