package dev.uwfq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.uwfq.history.StateChanges;
import dev.uwfq.metrics.PluginMetrics;
import dev.uwfq.spark.DurationSamples;
import dev.uwfq.spark.SchedulerHook;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One daemon thread that reads the status document every {@code spark.uwfq.observe.intervalMs}
 * and, off the scheduler lock, posts the scheduler's state changes to the listener bus (for the
 * event log and the History Server) and updates the metrics. The only time it spends under the
 * scheduler lock is the status call's copy of the policy state. Once more at application end.
 */
final class StatusPoller extends SparkListener {
  private static final Logger LOG = LoggerFactory.getLogger(StatusPoller.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final SparkContext sc;
  private final PluginMetrics metrics;
  private final StateChanges changes;
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "uwfq-status-poller");
    t.setDaemon(true);
    return t;
  });
  private long lastFailureLogMs = Long.MIN_VALUE;

  StatusPoller(SparkContext sc, PluginMetrics metrics) {
    this.sc = sc;
    this.metrics = metrics;
    this.changes = new StateChanges(this::post);
  }

  void start(long intervalMs) {
    sc.addSparkListener(this);
    thread.scheduleWithFixedDelay(this::poll, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  void stop() {
    thread.shutdownNow();
  }

  @Override
  public void onApplicationEnd(SparkListenerApplicationEnd end) {
    poll(); // the last changes, while the listener bus still takes events
  }

  synchronized void poll() {
    try {
      if (!SchedulerHook.isInstalled()) {
        return;
      }
      JsonNode doc = JSON.readTree(Uwfq.status());
      changes.update(doc);
      if (metrics != null) {
        metrics.update(doc);
        drain(SchedulerHook.orderTimes(), true);
        drain(SchedulerHook.submissionTimes(), false);
      }
    } catch (Exception | LinkageError e) {
      long now = System.currentTimeMillis();
      if (lastFailureLogMs == Long.MIN_VALUE || now - lastFailureLogMs > 60_000) {
        LOG.warn("spark-uwfq: the status poller failed (metrics and history events may lag)", e);
        lastFailureLogMs = now;
      }
    }
  }

  private void drain(DurationSamples samples, boolean order) {
    if (samples != null) {
      samples.drainTo(order ? metrics::orderRoundNanos : metrics::submissionNanos);
    }
  }

  private void post(SparkListenerEvent event) {
    sc.listenerBus().post(event);
    if (metrics != null) {
      metrics.onEvent(event);
    }
  }
}
