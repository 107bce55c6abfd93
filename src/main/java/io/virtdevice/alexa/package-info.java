/**
 * The Alexa Smart Home protocol edge (shared/spec/alexa.md): takes Amazon's directive JSON at
 * {@code POST /alexa/v3/directives}, resolves the user from the access token of the {@code alexa-smart-home}
 * OAuth client, and translates Discover, ReportState and the Power and Brightness controllers into calls of
 * the devices module's API ({@code DeviceManagement}) and back into Alexa's messages. The devices module never
 * sees Alexa JSON.
 */
@ApplicationModule(allowedDependencies = {"activity", "devices", "platform"})
package io.virtdevice.alexa;

import org.springframework.modulith.ApplicationModule;
