package io.virtdevice.limits;

import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The published limits in the OpenAPI document: every {@code /api/**} operation's responses carry the
 * {@code RateLimit-Policy} and {@code RateLimit} fields, every operation may answer 429 (problem document,
 * {@code Retry-After}), and the document's description lists the limits (docs/rate-limits.md has the numbers).
 */
@Configuration(proxyBeanMethods = false)
class RateLimitOpenApi {

    static final String DESCRIPTION = " Rate limits (docs/rate-limits.md): every /api response carries the "
            + "RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers-11 (e.g. "
            + "RateLimit-Policy: \"api-requests\";q=300;w=60 and RateLimit: \"api-requests\";r=42;t=30) for the "
            + "limits of the caller's plan (401 and 403 included: a valid credential's requests count on its own "
            + "quota, requests without one, unknown keys included, on the client address's anonymous-requests "
            + "quota); a refused request is 429 with Retry-After and a problem whose type is "
            + "https://virtdevice.io/problems/rate-limit/<limit> and whose liftedBy names the plan that allows more. "
            + "Limits: " + Arrays.stream(RateLimit.values()).map(l -> l.policy() + " (" + l.description() + ")")
                    .collect(Collectors.joining(", ")) + ".";

    @Bean
    OpenApiCustomizer rateLimitHeaders() {
        return openApi -> {
            if (openApi.getInfo() != null) {
                String description = openApi.getInfo().getDescription();
                openApi.getInfo().setDescription((description == null ? "" : description) + DESCRIPTION);
            }
            if (openApi.getPaths() == null) {
                return;
            }
            openApi.getPaths().forEach((path, item) -> item.readOperations().forEach(operation -> {
                ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
                boolean api = path.startsWith("/api/");
                if (api) {
                    responses.forEach((status, response) -> {
                        response.addHeaderObject(RateLimitHeaders.POLICY, new Header()
                                .description("The quota policies of the caller's plan (structured list: "
                                        + "\"<limit>\";q=<quota>;w=<window seconds>)")
                                .schema(new StringSchema()));
                        response.addHeaderObject(RateLimitHeaders.STATE, new Header()
                                .description("What is left of each quota (\"<limit>\";r=<remaining>;t=<seconds until "
                                        + "whole again>)")
                                .schema(new StringSchema()));
                    });
                }
                responses.addApiResponse("429", tooManyRequests(api));
                operation.setResponses(responses);
            }));
        };
    }

    private static ApiResponse tooManyRequests(boolean api) {
        ApiResponse response = new ApiResponse()
                .description("A published rate limit refused the request; retry after Retry-After seconds "
                        + "(type https://virtdevice.io/problems/rate-limit/<limit>, members limit, plan, quota, "
                        + "window, retryAfter, liftedBy)")
                .addHeaderObject("Retry-After", new Header().description("Seconds until the request may be repeated")
                        .schema(new IntegerSchema()))
                .content(new Content().addMediaType("application/problem+json",
                        new MediaType().schema(new ObjectSchema())));
        if (api) {
            response.addHeaderObject(RateLimitHeaders.POLICY, new Header().schema(new StringSchema()));
            response.addHeaderObject(RateLimitHeaders.STATE, new Header().schema(new StringSchema()));
        }
        return response;
    }

}
