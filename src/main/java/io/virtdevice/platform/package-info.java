/**
 * Shared plumbing every feature module may use: database selection, tenancy, security, web, crypto,
 * jobs, mail. An open module (all its sub-packages are usable by every module); it depends on no feature
 * module. Feature modules never reach into each other except through the dependencies they name in their
 * own {@code package-info.java} ({@code ModuleBoundaryTests} checks both).
 */
@ApplicationModule(displayName = "Platform", type = ApplicationModule.Type.OPEN, allowedDependencies = {})
package io.virtdevice.platform;

import org.springframework.modulith.ApplicationModule;
