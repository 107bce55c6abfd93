package io.virtdevice.alexa;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /alexa/v3/directives}: the skill's Lambda forwards each directive here unchanged. The answer is
 * always HTTP 200 with a complete Alexa message (a response, a StateReport, a Discover.Response or an
 * {@code Alexa.ErrorResponse}), which the Lambda returns to Alexa as it is; the body is read as bytes so that
 * malformed JSON becomes {@code INVALID_DIRECTIVE} too. Amazon's protocol, not the REST API: not in the
 * OpenAPI document (docs/alexa.md describes it).
 */
@Hidden
@RestController
class AlexaDirectiveController {

    private final AlexaDirectives directives;

    AlexaDirectiveController(AlexaDirectives directives) {
        this.directives = directives;
    }

    @PostMapping(path = "/alexa/v3/directives", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<ObjectNode> directive(@RequestBody(required = false) byte[] body, HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        String bearer = header != null && header.length() > 7 && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim()
                : null;
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_JSON)
                .body(directives.handle(body, bearer == null || bearer.isEmpty() ? null : bearer,
                        request.getHeader(AlexaAcceptGrant.REGION_HEADER), request.getRemoteAddr()));
    }
}
