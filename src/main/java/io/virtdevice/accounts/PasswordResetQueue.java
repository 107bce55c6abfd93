package io.virtdevice.accounts;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.scheduling.concurrent.CustomizableThreadFactory;
import org.springframework.stereotype.Component;

/**
 * Password-reset requests are answered before anything is looked up: the look-up, the token and the mail
 * run here, one at a time, after the response. A known address and an unknown one then cost the request
 * the same (a queue offer), where a known one used to add a write and its commit's WAL flush. The queue is
 * bounded; when it is full a request is dropped (logged), as a lost mail would be.
 */
@Component
class PasswordResetQueue implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(PasswordResetQueue.class);

    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1000), new CustomizableThreadFactory("password-reset-"),
            (task, pool) -> log.warn("password-reset queue full, dropping a request"));

    void submit(Runnable work) {
        executor.execute(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                log.warn("could not handle a password-reset request: {}", e.toString());
            }
        });
    }

    @Override
    public void destroy() throws InterruptedException {
        executor.shutdown();
        if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
            executor.shutdownNow();
        }
    }
}
