/**
 * Personal API keys ({@code vdk_}) and their bearer authenticator.
 */
@ApplicationModule(allowedDependencies = {"activity", "platform"})
package io.virtdevice.apikeys;

import org.springframework.modulith.ApplicationModule;
