package io.virtdevice.platform.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The activity log's retention.
 *
 * @param retention how long activity entries are kept at least (at least 30 days); a month's partition is
 *     dropped once the whole month is older than this. A year by default: the log is each account's audit
 *     trail (who changed what, sign-ins, connected apps), which people look back on over a year, and personal
 *     data must not be kept without end.
 */
@ConfigurationProperties("virtdevice.activity")
record ActivityRetentionSettings(@DefaultValue("365d") Duration retention) {}
