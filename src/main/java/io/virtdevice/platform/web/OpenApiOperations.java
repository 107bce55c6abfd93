package io.virtdevice.platform.web;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springdoc.core.customizers.GlobalOpenApiCustomizer;
import org.springdoc.core.customizers.GlobalOperationCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.method.HandlerMethod;

/**
 * Gives every operation of the OpenAPI document ({@code /v3/api-docs}) what springdoc cannot infer: a stable
 * operation id and a summary (one table, below, so a new endpoint without an entry fails
 * {@code OpenApiDocumentTests}), the success status it really answers (201, 202, 204), the problem
 * responses ({@code application/problem+json}) and the credentials and scopes it needs, which mirror
 * {@code SecurityConfiguration}: public, session only, or {@code read}/{@code write} for API keys and OAuth
 * tokens.
 */
@Component
class OpenApiOperations implements GlobalOperationCustomizer, GlobalOpenApiCustomizer {

    private static final String HANDLER = "x-handler";
    private static final String PROBLEM = "#/components/schemas/Problem";

    record Doc(String operationId, String summary, int status) {}

    /** Keyed by {@code Controller#method}, or {@code Controller#method:HTTPMETHOD} for a multi-method mapping. */
    static final Map<String, Doc> DOCS = Map.ofEntries(
            doc("AuthController#csrf", "getCsrfToken", "Get a CSRF token (sets the XSRF-TOKEN cookie)", 200),
            doc("AuthController#signUp", "signUp", "Sign up: creates an account and mails a verification link", 202),
            doc("AuthController#login", "signIn", "Sign in with email and password (starts a browser session)", 200),
            doc("AuthController#logout", "signOut", "Sign out (ends the browser session)", 204),
            doc("AuthController#verifyEmail", "verifyEmail", "Verify an email address with the mailed token", 204),
            doc("AuthController#requestPasswordReset", "requestPasswordReset", "Mail a password-reset link", 202),
            doc("AuthController#resetPassword", "resetPassword", "Set a new password with a reset token", 204),
            doc("AuthController#acceptInvitation", "acceptInvitation", "Accept a team invitation and sign in", 201),
            doc("AccountController#account", "getAccount", "Get the signed-in user's account", 200),
            doc("AccountController#rename", "renameAccount", "Change the signed-in user's name", 200),
            doc("AccountController#changePassword", "changePassword", "Change the password", 204),
            doc("AccountController#delete", "deleteAccount", "Delete the account", 204),
            doc("AccountController#resendVerification", "resendVerification", "Mail a new verification link", 202),
            doc("ConnectedAppController#list", "listConnectedApps", "List the apps linked through OAuth", 200),
            doc("ConnectedAppController#disconnect", "disconnectApp", "Disconnect an app (revokes its tokens)", 204),
            doc("TeamController#tenant", "getTeam", "Get the team", 200),
            doc("TeamController#rename", "renameTeam", "Rename the team", 200),
            doc("TeamController#members", "listMembers", "List the team's members", 200),
            doc("TeamController#changeRole", "changeMemberRole", "Change a member's role", 200),
            doc("TeamController#remove", "removeMember", "Remove a member", 204),
            doc("TeamController#invite", "inviteMember", "Invite someone to the team by email", 201),
            doc("TeamController#invitations", "listInvitations", "List open invitations", 200),
            doc("TeamController#revoke", "revokeInvitation", "Revoke an invitation", 204),
            doc("ApiKeyController#create", "createApiKey", "Create an API key (its secret is shown only now)", 201),
            doc("ApiKeyController#list", "listApiKeys", "List API keys (without secrets)", 200),
            doc("ApiKeyController#revoke", "revokeApiKey", "Revoke an API key", 204),
            doc("DeviceController#deviceTypes", "listDeviceTypes", "List device types and their properties", 200),
            doc("DeviceController#create", "createDevice", "Create a device", 201),
            doc("DeviceController#list", "listDevices", "List devices (cursor pagination)", 200),
            doc("DeviceController#get", "getDevice", "Get a device", 200),
            doc("DeviceController#edit", "editDevice",
                    "Rename or describe a device, mark it offline or online, set its pulse options", 200),
            doc("DeviceController#delete", "deleteDevice", "Delete a device", 204),
            doc("DeviceController#setProperties", "setDeviceProperties", "Change a device's properties", 200),
            doc("DeviceController#press", "pressDoorbell", "Press a doorbell", 200),
            doc("DeviceController#pulse", "pulseSensor",
                    "Pulse a contact or motion sensor: DETECTED now, NOT_DETECTED after its pulseSeconds", 200),
            doc("UrlTriggerController#create", "createTriggerLink", "Create a URL-trigger link (shown only now)", 201),
            doc("UrlTriggerController#list", "listTriggerLinks", "List a device's URL-trigger links", 200),
            doc("UrlTriggerController#update", "updateTriggerLink", "Rename a link or make it POST-only", 200),
            doc("UrlTriggerController#revoke", "revokeTriggerLink", "Revoke a URL-trigger link", 204),
            doc("UrlTriggerController#fire:GET", "fireTriggerLink",
                    "Fire a link (link previews and prefetches get a description and fire nothing)", 200),
            doc("UrlTriggerController#fire:HEAD", "describeTriggerLink", "Look at a link without firing it", 200),
            doc("UrlTriggerController#fire:POST", "fireTriggerLinkWithForm", "Fire a link with a form body", 200),
            doc("UrlTriggerController#fireWithJson", "fireTriggerLinkWithJson", "Fire a link with a JSON body", 200),
            doc("ActivityController#list", "listActivity", "List the activity log (filters, cursor pagination)", 200),
            doc("EventStreamController#stream", "streamEvents", "Stream device changes (Server-Sent Events)", 200),
            doc("EventFailureController#list", "listEventFailures",
                    "List change events a reaction failed on (retrying, or given up: dead letters; cursor pagination)", 200),
            doc("EventFailureController#get", "getEventFailure", "Get one failed reaction", 200),
            doc("EventFailureController#retry", "retryEventFailure",
                    "Hand a dead-lettered event to its reaction again", 202),
            doc("WebhookController#create", "createWebhook", "Create a webhook (its secret is shown only now)", 201),
            doc("IftttConnectionController#overview", "getIftttConnection",
                    "IFTTT: connected or not, and the active trigger identities (count, last poll, last realtime notice)", 200),
            doc("WebhookController#list", "listWebhooks", "List webhooks", 200),
            doc("WebhookController#get", "getWebhook", "Get a webhook", 200),
            doc("WebhookController#update", "updateWebhook", "Change a webhook", 200),
            doc("WebhookController#delete", "deleteWebhook", "Delete a webhook", 204),
            doc("WebhookController#rotateSecret", "rotateWebhookSecret", "Rotate a webhook's signing secret", 200),
            doc("WebhookController#deliveries", "listWebhookDeliveries", "List a webhook's deliveries", 200),
            doc("WebhookController#redeliver", "redeliverWebhookMessage", "Send a delivery's message again", 202),
            doc("WebhookController#test", "testWebhook", "Send a test message", 202),
            doc("AlexaDiagnosticsController#link", "getAlexaLink",
                    "Get the Alexa link: region, status and why, token expiry, last refresh", 200),
            doc("AlexaDiagnosticsController#health", "getAlexaHealth",
                    "Get the Alexa events health of the last 24 h with a one-sentence summary", 200),
            doc("AlexaDiagnosticsController#events", "listAlexaEvents",
                    "List the last events sent to Amazon for a device, with the gateway's answers", 200),
            doc("AlexaDiagnosticsController#testFire", "testFireAlexaEvent",
                    "Send a real event for a device to Amazon now and return the gateway's answer", 200));

    private static final Set<String> SESSION_ONLY = Set.of("/api/v1/account", "/api/v1/team", "/api/v1/api-keys");

    private static Map.Entry<String, Doc> doc(String key, String id, String summary, int status) {
        return Map.entry(key, new Doc(id, summary, status));
    }

    /** Remembers which handler an operation belongs to (springdoc passes it only here). */
    @Override
    public Operation customize(Operation operation, HandlerMethod handler) {
        operation.addExtension(HANDLER, handler.getBeanType().getSimpleName() + "#" + handler.getMethod().getName());
        return operation;
    }

    @Override
    public void customise(io.swagger.v3.oas.models.OpenAPI openApi) {
        openApi.getComponents().addSchemas("Problem", problemSchema());
        openApi.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) ->
                describe(path, method, operation)));
    }

    private static void describe(String path, PathItem.HttpMethod method, Operation operation) {
        Object handler = operation.getExtensions() == null ? null : operation.getExtensions().remove(HANDLER);
        if (operation.getExtensions() != null && operation.getExtensions().isEmpty()) {
            operation.setExtensions(null);
        }
        Doc doc = handler == null ? null : DOCS.getOrDefault(handler + ":" + method, DOCS.get(handler.toString()));
        if (doc != null) {
            operation.setOperationId(doc.operationId());
            operation.setSummary(doc.summary());
            successStatus(operation, doc.status());
        }
        Access access = access(path, method);
        operation.setSecurity(switch (access) {
            case PUBLIC -> List.of();
            case SESSION -> List.of(new SecurityRequirement().addList("session"));
            case READ, WRITE -> {
                String scope = access == Access.READ ? "read" : "write";
                yield List.of(new SecurityRequirement().addList("apiKey", scope),
                        new SecurityRequirement().addList("oauth2", scope),
                        new SecurityRequirement().addList("session"));
            }
        });
        ApiResponses responses = operation.getResponses();
        problem(responses, HttpStatus.BAD_REQUEST, "Malformed request or invalid value");
        if (access != Access.PUBLIC) {
            problem(responses, HttpStatus.UNAUTHORIZED, "No or invalid credentials");
            problem(responses, HttpStatus.FORBIDDEN, access == Access.SESSION
                    ? "Needs the browser session (and the X-XSRF-TOKEN header on unsafe requests)"
                    : "The credential lacks the '" + (access == Access.READ ? "read" : "write") + "' scope");
        }
        if (path.contains("{")) {
            problem(responses, HttpStatus.NOT_FOUND, "No such resource (or not yours)");
        }
        if (path.startsWith("/t/") && method == PathItem.HttpMethod.GET) {
            problem(responses, HttpStatus.METHOD_NOT_ALLOWED, "The link is POST-only (nothing was changed)");
        }
    }

    private static void successStatus(Operation operation, int status) {
        ApiResponses responses = operation.getResponses();
        ApiResponse ok = responses.remove("200");
        if (ok == null) {
            ok = new ApiResponse();
        }
        ok.setDescription(HttpStatus.valueOf(status).getReasonPhrase());
        if (status == 204) {
            ok.setContent(null);
        }
        ApiResponses ordered = new ApiResponses();
        ordered.addApiResponse(Integer.toString(status), ok);
        responses.forEach(ordered::addApiResponse);
        operation.setResponses(ordered);
    }

    private static void problem(ApiResponses responses, HttpStatus status, String description) {
        String code = Integer.toString(status.value());
        ApiResponse response = responses.get(code);
        if (response == null) {
            response = new ApiResponse().description(description);
            responses.addApiResponse(code, response);
        }
        response.setContent(new Content().addMediaType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                new MediaType().schema(new Schema<>().$ref(PROBLEM))));
    }

    enum Access { PUBLIC, SESSION, READ, WRITE }

    /** Mirrors the API chain's rules in {@code SecurityConfiguration}. */
    static Access access(String path, PathItem.HttpMethod method) {
        if (path.startsWith("/t/") || path.startsWith("/api/v1/auth/")
                || (path.equals("/api/v1/device-types") && method == PathItem.HttpMethod.GET)) {
            return Access.PUBLIC;
        }
        if (SESSION_ONLY.stream().anyMatch(p -> path.equals(p) || path.startsWith(p + "/"))) {
            return Access.SESSION;
        }
        return method == PathItem.HttpMethod.GET || method == PathItem.HttpMethod.HEAD ? Access.READ : Access.WRITE;
    }

    private static Schema<?> problemSchema() {
        Map<String, Schema> properties = new LinkedHashMap<>();
        properties.put("type", new StringSchema().format("uri").description("stable problem type"));
        properties.put("title", new StringSchema());
        properties.put("status", new IntegerSchema());
        properties.put("detail", new StringSchema());
        properties.put("instance", new StringSchema().format("uri-reference"));
        properties.put("requestId", new StringSchema().description("quote it to support (5xx)"));
        return new ObjectSchema().description("RFC 9457 problem details").properties(properties);
    }
}
