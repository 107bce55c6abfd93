/**
 * The web dashboard: server-rendered pages (Thymeleaf + htmx from webjars) for devices, webhooks, API keys,
 * activity, connected apps and the Alexa and IFTTT integrations, live through the events module's streams. It
 * holds no business rules: every action calls the same module API the REST controllers call, under the browser
 * session's tenant scope, so the database's row-level security and role checks apply exactly as for the API.
 * Account settings and team pages live in the accounts module (they need its session handling).
 */
@ApplicationModule(allowedDependencies = {"accounts", "activity", "alexa", "apikeys", "billing", "devices", "events",
        "ifttt", "limits", "oauth", "webhooks", "platform"})
package io.virtdevice.dashboard;

import org.springframework.modulith.ApplicationModule;
