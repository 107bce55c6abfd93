package io.virtdevice.apikeys;

import io.virtdevice.platform.security.CurrentUser;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Managing personal API keys; the security chain admits only the signed-in browser session here. */
@RestController
@RequestMapping("/api/v1/api-keys")
class ApiKeyController {

    private final ApiKeyManagement keys;

    ApiKeyController(ApiKeyManagement keys) {
        this.keys = keys;
    }

    record CreateApiKeyRequest(String name, List<String> scopes, Integer expiresInDays) {}

    @PostMapping
    ResponseEntity<IssuedApiKey> create(@RequestBody CreateApiKeyRequest body,
            @AuthenticationPrincipal CurrentUser user) {
        IssuedApiKey key = keys.create(body.name(), body.scopes(), body.expiresInDays(), user.source());
        return ResponseEntity.created(URI.create("/api/v1/api-keys/" + key.id()))
                .cacheControl(CacheControl.noStore())
                .body(key);
    }

    @GetMapping
    Map<String, List<ApiKey>> list() {
        return Map.of("items", keys.list());
    }

    @DeleteMapping("/{id}")
    ResponseEntity<Void> revoke(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        keys.revoke(id, user.source());
        return ResponseEntity.noContent().build();
    }
}
