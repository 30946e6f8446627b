package dev.uwfq.spark;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SchedulerBackend;
import org.apache.spark.scheduler.local.LocalSchedulerBackend;

/**
 * Offers cores again every second in local mode. Spark's cluster backends already do this
 * (spark.scheduler.revive.interval); the local backend offers only when a task is submitted or
 * ends, so once an application went idle no order round would run, and the policy's
 * housekeeping (releasing lingering jobs and idle users, which runs in the order round so that
 * reading status never changes state) would wait for the next job. Reviving only sends a
 * message to the backend's endpoint: nothing here takes the scheduler lock.
 */
final class LocalReviver {
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "spark-uwfq-local-reviver");
    t.setDaemon(true);
    return t;
  });

  private LocalReviver(SchedulerBackend backend, long intervalMs) {
    thread.scheduleWithFixedDelay(() -> {
      try {
        backend.reviveOffers();
      } catch (RuntimeException e) {
        // The backend is stopping; the next tick (or the stop) ends this.
      }
    }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** Started for a local backend only; null elsewhere. */
  static LocalReviver startFor(SchedulerBackend backend, long intervalMs) {
    return backend instanceof LocalSchedulerBackend ? new LocalReviver(backend, intervalMs) : null;
  }

  void stop() {
    thread.shutdownNow();
  }
}
