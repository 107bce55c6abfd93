/**
 * Activity log: {@link io.virtdevice.activity.ActivityLog} writes an entry in the caller's transaction;
 * the activity query API reads them back.
 */
@ApplicationModule(allowedDependencies = {"platform"})
package io.virtdevice.activity;

import org.springframework.modulith.ApplicationModule;
