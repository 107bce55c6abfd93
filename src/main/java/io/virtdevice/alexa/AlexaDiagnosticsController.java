package io.virtdevice.alexa;

import io.virtdevice.platform.security.CurrentUser;
import java.util.Map;
import java.util.UUID;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** Routine-fire diagnostics over the REST API (docs/alexa.md "Diagnostics"). */
@RestController
class AlexaDiagnosticsController {

    private final AlexaDiagnostics diagnostics;

    AlexaDiagnosticsController(AlexaDiagnostics diagnostics) {
        this.diagnostics = diagnostics;
    }

    @GetMapping("/api/v1/alexa/link")
    Map<String, Object> link(@AuthenticationPrincipal CurrentUser user) {
        return diagnostics.link(user.context());
    }

    @GetMapping("/api/v1/alexa/health")
    Map<String, Object> health(@AuthenticationPrincipal CurrentUser user) {
        return diagnostics.health(user.context());
    }

    @GetMapping("/api/v1/devices/{id}/alexa/events")
    Map<String, Object> events(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        return diagnostics.events(user.context(), id);
    }

    @PostMapping("/api/v1/devices/{id}/alexa/test-fire")
    AlexaDiagnostics.TestFire testFire(@PathVariable UUID id, @AuthenticationPrincipal CurrentUser user) {
        return diagnostics.testFire(user.context(), id);
    }
}
