/**
 * Outgoing mail: {@link io.virtdevice.platform.mail.Mailer} sends after commit and off the request
 * thread, through SMTP or into a local outbox directory.
 */
package io.virtdevice.platform.mail;
