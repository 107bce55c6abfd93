package io.virtdevice.devices;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Wakes every instance's live-update listeners after a device change commits: {@code NOTIFY device_events}
 * with a small JSON payload of ids only ({@code id, tenant_id, user_id, device_id}); listeners re-read the
 * {@code device_events} row under the user's context.
 *
 * <p>Why not a trigger in the write transaction: a transaction that NOTIFYs holds a database-wide lock from
 * its commit until its WAL flush, so every device write would commit one at a time (measured: 640 vs
 * 5,000 event inserts/s at 16 connections). Here one thread sends batches in their own tiny transactions,
 * off the request path; a notification is best effort (live streams resume from {@code device_events}), so
 * a full queue or a database error drops it and never fails or slows a write.
 */
@Component
class DeviceEventNotifier implements SmartLifecycle {

    static final String CHANNEL = "device_events";
    // Asynchronous commit: the notifying transaction holds the database-wide notify lock until its commit
    // returns, which would otherwise include a WAL flush. A crash can only lose notices, which are best effort.
    private static final String NOTIFY = """
            select count(pg_notify('device_events', payload)), min(set_config('synchronous_commit', 'off', true))
              from unnest(cast(:payloads as text[])) as payload
            """;
    private static final int BATCH = 500;
    private static final Logger log = LoggerFactory.getLogger(DeviceEventNotifier.class);

    private final JdbcClient jdbc;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(10_000);
    private volatile boolean running;
    private Thread sender;

    DeviceEventNotifier(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    // fallbackExecution: a change that was a transaction of its own is published after it committed
    @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT, fallbackExecution = true)
    void committed(DeviceStateChanged event) {
        String payload = "{\"id\":\"" + event.eventId() + "\",\"tenant_id\":\"" + event.tenantId()
                + "\",\"user_id\":\"" + event.userId() + "\",\"device_id\":\"" + event.deviceId() + "\"}";
        if (!queue.offer(payload)) {
            log.warn("live-update queue full: notification for event {} dropped", event.eventId());
        }
    }

    private void send() {
        List<String> batch = new ArrayList<>(BATCH);
        while (running || !queue.isEmpty()) {
            try {
                String first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, BATCH - 1);
                jdbc.sql(NOTIFY).param("payloads", batch.toArray(String[]::new)).query((rs, i) -> rs.getLong(1)).single();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("live-update notification of {} events failed: {}", batch.size(), e.toString());
            } finally {
                batch.clear();
            }
        }
    }

    @Override
    public void start() {
        running = true;
        sender = Thread.ofVirtual().name("device-event-notifier").start(this::send);
    }

    @Override
    public void stop() {
        running = false;
        try {
            sender.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
