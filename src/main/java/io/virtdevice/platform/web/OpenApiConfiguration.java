package io.virtdevice.platform.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.OAuthFlow;
import io.swagger.v3.oas.models.security.OAuthFlows;
import io.swagger.v3.oas.models.security.Scopes;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The OpenAPI document's header: what the API is and the two ways to authenticate to it. */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

    @Bean
    OpenAPI virtDeviceOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("VirtDevice API")
                        .version("v1")
                        .description("Virtual smart-home devices. Errors are RFC 9457 problem details. Authenticate "
                                + "with a personal API key (Authorization: Bearer vdk_...) or the browser session "
                                + "cookie plus the X-XSRF-TOKEN header on unsafe requests."))
                .components(new Components()
                        .addSecuritySchemes("apiKey", new SecurityScheme()
                                .type(SecurityScheme.Type.HTTP)
                                .scheme("bearer")
                                .description("A personal API key (vdk_...) from /api/v1/api-keys"))
                        .addSecuritySchemes("oauth2", new SecurityScheme()
                                .type(SecurityScheme.Type.OAUTH2)
                                .description("An OAuth access token (vda_...) of a connected app")
                                .flows(new OAuthFlows().authorizationCode(new OAuthFlow()
                                        .authorizationUrl("/oauth2/authorize")
                                        .tokenUrl("/oauth2/token")
                                        .scopes(new Scopes().addString("read", "read devices and activity")
                                                .addString("write", "change devices, triggers and webhooks")))))
                        .addSecuritySchemes("session", new SecurityScheme()
                                .type(SecurityScheme.Type.APIKEY)
                                .in(SecurityScheme.In.COOKIE)
                                .name("VDSESSION")))
                .addSecurityItem(new SecurityRequirement().addList("apiKey"))
                .addSecurityItem(new SecurityRequirement().addList("session"));
    }
}
