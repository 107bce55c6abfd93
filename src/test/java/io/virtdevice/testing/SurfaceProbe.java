package io.virtdevice.testing;

import io.virtdevice.platform.security.CurrentUser;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.security.core.Authentication;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Test-only routes behind the Alexa and IFTTT security chains, standing in for their controllers (not built
 * yet): {@code /alexa/test-probe} and {@code /ifttt/v1/test-probe} answer with what the security layer
 * exposes about the caller (surface, client, credential kind), so tests can prove which credential reaches
 * which surface. Not a component: imported by {@link IntegrationTest}.
 */
public class SurfaceProbe {

    public static final String ALEXA = "/alexa/test-probe";
    public static final String IFTTT = "/ifttt/v1/test-probe";

    @Bean
    RouterFunction<ServerResponse> surfaceProbeRouter() {
        return RouterFunctions.route()
                .GET(ALEXA, SurfaceProbe::describe)
                .POST(ALEXA, SurfaceProbe::describe)
                .GET(IFTTT, SurfaceProbe::describe)
                .POST(IFTTT, SurfaceProbe::describe)
                .build();
    }

    private static ServerResponse describe(ServerRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (request.principal().orElse(null) instanceof Authentication auth
                && auth.getPrincipal() instanceof CurrentUser user) {
            body.put("userId", user.userId().toString());
            body.put("surface", user.surface().name());
            body.put("method", user.method().name());
            body.put("clientId", user.clientId());
            body.put("grantId", user.grantId() == null ? null : user.grantId().toString());
        }
        return ServerResponse.ok().body(body);
    }
}
