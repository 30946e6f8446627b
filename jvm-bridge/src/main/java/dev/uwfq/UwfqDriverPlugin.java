package dev.uwfq;

import dev.uwfq.events.EventRecorder;
import dev.uwfq.metrics.PluginMetrics;
import dev.uwfq.spark.SchedulerHook;
import java.util.Collections;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Driver side of the plugin. {@code init} runs before the task scheduler exists, so it only keeps
 * the SparkContext; {@code registerMetrics} runs after {@code TaskScheduler.start()} and before any
 * job, which is the one safe moment to install the scheduling hook.
 */
public final class UwfqDriverPlugin implements DriverPlugin {
  private static final Logger LOG = LoggerFactory.getLogger(UwfqDriverPlugin.class);
  private SparkContext sc;
  private org.apache.spark.uwfq.ui.UwfqTab tab;
  private StatusPoller poller;

  @Override
  public Map<String, String> init(SparkContext sc, PluginContext ctx) {
    this.sc = sc;
    return Collections.emptyMap();
  }

  @Override
  public void registerMetrics(String appId, PluginContext ctx) {
    UwfqConf.newApplication();
    UwfqConf conf = new UwfqConf(sc.conf());
    StatusDocument.setSettings(effective(conf));
    dev.uwfq.identity.IdentitySettings.install(conf);
    Uwfq.setTesting(sc, conf.flag(Settings.TESTING_ENABLED));
    long capacity = conf.integer(Settings.EVENTS_CAPACITY);
    if (capacity > 0) {
      EventRecorder recorder = new EventRecorder(
          sc, conf.string(Settings.DEFAULT_USER), (int) capacity);
      sc.addSparkListener(recorder);
      Uwfq.setEventRecorder(recorder);
    }
    try {
      SchedulerHook.install(sc);
    } catch (RuntimeException | LinkageError e) {
      // Never take the application down: without the hook Spark schedules as it always does.
      LOG.error("spark-uwfq: could not install the scheduling hook; Spark keeps its own scheduler", e);
      Uwfq.markFailed(e);
    }
    long intervalMs = conf.integer(Settings.OBSERVE_INTERVAL_MS);
    if (intervalMs > 0) {
      try {
        poller = new StatusPoller(sc, new PluginMetrics(ctx.metricRegistry(),
            new org.apache.spark.uwfq.metrics.UserSeries(),
            (int) conf.integer(Settings.METRICS_MAX_USERS),
            conf.integer(Settings.METRICS_SMALL_JOB_MS)));
        poller.start(intervalMs);
      } catch (RuntimeException | LinkageError e) {
        LOG.warn("spark-uwfq: metrics and history events are off (could not start them)", e);
      }
    }
    try {
      tab = org.apache.spark.uwfq.ui.LiveUi.attach(sc);
    } catch (RuntimeException | LinkageError e) {
      LOG.warn("spark-uwfq: could not add the UWFQ tab to the Spark UI", e);
    }
  }

  /** Every setting as in effect (a bad value shows as the default used instead). */
  private static java.util.Map<String, String> effective(UwfqConf conf) {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    for (Setting s : Settings.ALL) {
      String value = switch (s.kind()) {
        case INTEGER -> Long.toString(conf.integer(s));
        case NUMBER -> Double.toString(conf.number(s));
        case BOOLEAN -> Boolean.toString(conf.flag(s));
        case CHOICE -> conf.choice(s);
        case STRING -> conf.string(s);
      };
      out.put(s.key(), value == null ? "" : value);
    }
    return out;
  }

  @Override
  public void shutdown() {
    if (poller != null) {
      poller.stop();
    }
    try {
      org.apache.spark.uwfq.ui.LiveUi.detach(sc, tab);
    } catch (RuntimeException e) {
      LOG.debug("spark-uwfq: the UI was already gone", e);
    }
    SchedulerHook.uninstall(sc);
    Uwfq.setEventRecorder(null);
  }
}
