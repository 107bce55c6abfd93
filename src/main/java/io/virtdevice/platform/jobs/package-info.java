/**
 * Durable housekeeping jobs on db-scheduler. Each job is a recurring task with a dotted id, stored in
 * {@code scheduled_tasks} and claimed by exactly one instance per run, so a cluster runs it once. Task
 * bodies run in a Spring transaction with no tenant context: they only call definer functions.
 * {@link io.virtdevice.platform.jobs.SchedulerNudge} wakes this instance's scheduler when the work a module
 * staged in a transaction commits.
 */
package io.virtdevice.platform.jobs;
