package io.virtdevice.platform;

import static org.assertj.core.api.Assertions.assertThat;

import io.virtdevice.testing.Api;
import io.virtdevice.testing.IntegrationTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAPI document describes every operation for real: an own operation id (not springdoc's method name
 * with a {@code _1} suffix), a summary, the success status it answers, problem responses, and the
 * credentials and scopes it needs.
 */
@IntegrationTest
class OpenApiDocumentTests {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    @LocalServerPort
    int port;

    @Test
    void everyOperationHasAnIdASummaryItsStatusProblemResponsesAndItsSecurity() {
        Api.Response response = new Api(port).get("/v3/api-docs");
        assertThat(response.status()).isEqualTo(200);
        JsonNode document = response.json();
        List<String> violations = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        int operations = 0;
        for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
            for (Map.Entry<String, JsonNode> entry : path.getValue().properties()) {
                if (!METHODS.contains(entry.getKey())) {
                    continue;
                }
                operations++;
                String name = entry.getKey().toUpperCase() + " " + path.getKey();
                JsonNode operation = entry.getValue();
                String id = operation.path("operationId").asString("");
                if (id.isBlank() || id.matches(".*_\\d+$") || id.matches(".*Using(GET|POST|PUT|PATCH|DELETE)$")
                        || !id.matches("[a-z][A-Za-z]+")) {
                    violations.add(name + ": operationId '" + id + "'");
                }
                if (!ids.add(id)) {
                    violations.add(name + ": duplicate operationId '" + id + "'");
                }
                if (operation.path("summary").asString("").isBlank()) {
                    violations.add(name + ": no summary");
                }
                List<String> success = new ArrayList<>();
                boolean problem = false;
                for (Map.Entry<String, JsonNode> r : operation.path("responses").properties()) {
                    if (r.getKey().startsWith("2")) {
                        success.add(r.getKey());
                    }
                    if (r.getKey().startsWith("4") && r.getValue().path("content").has("application/problem+json")) {
                        problem = true;
                    }
                }
                if (success.size() != 1) {
                    violations.add(name + ": success statuses " + success);
                }
                if (!problem) {
                    violations.add(name + ": no 4xx application/problem+json response");
                }
                JsonNode security = operation.get("security");
                boolean isPublic = path.getKey().startsWith("/t/") || path.getKey().startsWith("/api/v1/auth/")
                        || name.equals("GET /api/v1/device-types");
                if (security == null) {
                    violations.add(name + ": no security requirement");
                } else if (isPublic != security.isEmpty()) {
                    violations.add(name + ": security " + security + (isPublic ? " on a public operation" : ""));
                } else if (!isPublic && !security.toString().contains("\"session\"")) {
                    violations.add(name + ": security " + security);
                } else if (!isPublic && !path.getKey().matches("/api/v1/(account|team|api-keys)(/.*)?")) {
                    String scope = entry.getKey().equals("get") ? "read" : "write";
                    for (JsonNode requirement : security) {
                        if (requirement.has("apiKey") || requirement.has("oauth2")) {
                            JsonNode scopes = requirement.has("apiKey") ? requirement.get("apiKey") : requirement.get("oauth2");
                            if (scopes.size() != 1 || !scopes.get(0).asString().equals(scope)) {
                                violations.add(name + ": scopes " + requirement + ", expected " + scope);
                            }
                        }
                    }
                    if (!security.toString().contains("apiKey") || !security.toString().contains("oauth2")) {
                        violations.add(name + ": security " + security + " names no API key or OAuth scope");
                    }
                }
            }
        }
        assertThat(operations).isGreaterThan(40);
        assertThat(violations).as("%d violations:%n%s", violations.size(), String.join("\n", violations)).isEmpty();

        // the statuses the API really answers
        assertThat(status(document, "/api/v1/devices", "post")).isEqualTo("201");
        assertThat(status(document, "/api/v1/devices/{id}", "delete")).isEqualTo("204");
        assertThat(status(document, "/api/v1/auth/signup", "post")).isEqualTo("202");
        assertThat(status(document, "/api/v1/webhooks/{id}/test", "post")).isEqualTo("202");
        assertThat(document.path("components").path("securitySchemes").path("oauth2").path("flows")
                .path("authorizationCode").path("scopes").has("write")).isTrue();
    }

    private static String status(JsonNode document, String path, String method) {
        for (Map.Entry<String, JsonNode> r : document.path("paths").path(path).path(method).path("responses").properties()) {
            if (r.getKey().startsWith("2")) {
                return r.getKey();
            }
        }
        return null;
    }
}
