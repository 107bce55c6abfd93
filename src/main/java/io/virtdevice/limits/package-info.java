/**
 * Published rate limits (issue 16): each plan's quotas ({@link io.virtdevice.limits.RateLimitSettings}), the
 * shared token buckets behind them ({@link io.virtdevice.limits.RateLimiter}: Bucket4j on PostgreSQL, or on
 * Redis when it is configured, so a quota holds across instances), the {@code RateLimit-Policy} /
 * {@code RateLimit} headers of the REST API and its 429 problem. The user's plan comes from whichever module
 * implements {@link io.virtdevice.limits.PlanSource} (accounts), so this module depends on the platform only.
 */
@ApplicationModule(allowedDependencies = {"platform"})
package io.virtdevice.limits;

import org.springframework.modulith.ApplicationModule;
