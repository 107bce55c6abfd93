package io.virtdevice.webhooks;

import java.util.List;

/** One page of a webhook's delivery log, newest first; {@code nextCursor} is null on the last page. */
public record DeliveryPage(List<WebhookDelivery> items, String nextCursor) {}
