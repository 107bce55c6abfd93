/**
 * The Alexa Smart Home protocol edge (shared/spec/alexa.md): takes Amazon's directive JSON at
 * {@code POST /alexa/v3/directives}, resolves the user from the access token of the {@code alexa-smart-home}
 * OAuth client, and translates Discover, ReportState and the Power and Brightness controllers into calls of
 * the devices module's API ({@code DeviceManagement}) and back into Alexa's messages. The devices module never
 * sees Alexa JSON. As the {@code alexa} {@link io.virtdevice.events.DeviceEventConsumer} it sends the proactive
 * events (ChangeReport, DoorbellPress, AddOrUpdateReport, DeleteReport) to the users' regional Event Gateways,
 * and it answers the routine-fire diagnostics ({@code /api/v1/alexa/**}, {@code /api/v1/devices/{id}/alexa/**}).
 */
@ApplicationModule(allowedDependencies = {"activity", "devices", "events", "limits", "platform"})
package io.virtdevice.alexa;

import org.springframework.modulith.ApplicationModule;
