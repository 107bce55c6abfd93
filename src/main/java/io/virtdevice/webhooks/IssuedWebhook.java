package io.virtdevice.webhooks;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/** A new webhook with its signing secret, which is shown this once and never again. */
public record IssuedWebhook(@JsonUnwrapped Webhook webhook, String secret) {}
