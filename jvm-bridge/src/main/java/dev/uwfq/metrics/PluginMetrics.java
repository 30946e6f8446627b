package dev.uwfq.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.uwfq.history.UwfqJobEnded;
import dev.uwfq.history.UwfqJobPlaced;
import dev.uwfq.history.UwfqPolicyCounters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * The scheduler's metrics in Spark's metrics system (the plugin's registry, source
 * {@code plugin.dev.uwfq.UwfqPlugin}): counters, timers, a histogram and per-user gauges.
 * Everything is updated by the status poller, off the scheduler lock; gauges read a snapshot.
 *
 * <p>Per-user series are bounded: the {@code maxUsers} most active users (running tasks, then
 * active jobs, then name) get gauges {@code NAME.share}, {@code NAME.shareNow},
 * {@code NAME.runningTasks}, {@code NAME.queuedJobs}, {@code NAME.lagMs} in the source
 * {@code plugin.dev.uwfq.UwfqPlugin.users} (republished when that set changes); everyone else is
 * summed into {@code otherUsers.*} in the plugin's own source. A user who drops out of the top
 * loses its series, so at most {@code maxUsers + 1} series of each gauge exist at any time.
 */
public final class PluginMetrics {
  private static final String[] USER_GAUGES = {"share", "shareNow", "runningTasks", "queuedJobs", "lagMs"};
  private static final String OTHERS = "\u0000others"; // no user's series name has a NUL
  private final MetricRegistry registry;
  private final java.util.function.Consumer<MetricRegistry> publishUsers;
  private final int maxUsers;
  private final double smallJobMs;
  final Counter jobsPlaced;
  final Counter jobsEnded;
  final Counter policyFailures;
  final Counter fallbackRounds;
  final Counter partitionerDecisions;
  private final Timer orderRound;
  private final Timer submission;
  private final Histogram smallJobResponseMs;
  private volatile Map<String, double[]> values = Map.of();
  private Set<String> series = Set.of(); // users with series now
  private long failuresSeen;
  private long fallbacksSeen;
  private long decisionsSeen;

  public PluginMetrics(MetricRegistry registry, java.util.function.Consumer<MetricRegistry> publishUsers,
      int maxUsers, double smallJobMs) {
    this.registry = registry;
    this.publishUsers = publishUsers;
    this.maxUsers = Math.max(0, maxUsers);
    this.smallJobMs = smallJobMs;
    jobsPlaced = registry.counter("jobsPlaced");
    jobsEnded = registry.counter("jobsEnded");
    policyFailures = registry.counter("policyFailures");
    fallbackRounds = registry.counter("fifoFallbackRounds");
    partitionerDecisions = registry.counter("partitionerDecisions");
    orderRound = registry.timer("orderRound");
    submission = registry.timer("submission");
    smallJobResponseMs = registry.histogram("smallJobResponseMs");
    register(registry, "otherUsers", OTHERS);
  }

  /** A state change the poller posted: counts and small jobs' response times. */
  public void onEvent(SparkListenerEvent event) {
    if (event instanceof UwfqJobPlaced) {
      jobsPlaced.inc();
    } else if (event instanceof UwfqJobEnded e) {
      jobsEnded.inc();
      if (e.usedMs <= smallJobMs) {
        smallJobResponseMs.update(Math.max(0, e.timeMs - e.submittedMs));
      }
    } else if (event instanceof UwfqPolicyCounters e) {
      policyFailures.inc(Math.max(0, e.policyFailures - failuresSeen));
      fallbackRounds.inc(Math.max(0, e.fallbackRounds - fallbacksSeen));
      failuresSeen = e.policyFailures;
      fallbacksSeen = e.fallbackRounds;
    }
  }

  public void orderRoundNanos(long nanos) {
    orderRound.update(nanos, TimeUnit.NANOSECONDS);
  }

  public void submissionNanos(long nanos) {
    submission.update(nanos, TimeUnit.NANOSECONDS);
  }

  /** Per-user gauges and the partitioner's count from one status document. */
  public void update(JsonNode doc) {
    long decisions = doc.path("partitioner").path("decisions_total").asLong(decisionsSeen);
    partitionerDecisions.inc(Math.max(0, decisions - decisionsSeen));
    decisionsSeen = decisions;
    int cores = Math.max(1, doc.path("cores").asInt(1));
    List<JsonNode> users = new ArrayList<>();
    doc.path("users").forEach(users::add);
    users.sort(Comparator.<JsonNode>comparingInt(u -> -u.path("running_tasks").asInt())
        .thenComparingInt(u -> -u.path("active_jobs").asInt())
        .thenComparing(u -> u.path("user").asText()));
    Map<String, double[]> next = new HashMap<>();
    double[] other = new double[USER_GAUGES.length];
    for (int i = 0; i < users.size(); i++) {
      JsonNode u = users.get(i);
      double[] v = {u.path("share").asDouble() / cores, u.path("share_now").asDouble(),
          u.path("running_tasks").asDouble(), u.path("queued_jobs").asDouble(),
          u.path("lag_ms").asDouble(0)};
      if (i < maxUsers) {
        next.put(seriesName(u.path("user").asText()), v);
      } else {
        for (int k = 0; k < v.length; k++) {
          other[k] += v[k];
        }
      }
    }
    Set<String> named = new HashSet<>(next.keySet());
    next.put(OTHERS, other);
    values = next;
    if (!named.equals(series)) {
      MetricRegistry perUser = new MetricRegistry();
      named.forEach(name -> register(perUser, name, name));
      publishUsers.accept(perUser);
      series = named;
    }
  }

  private void register(MetricRegistry target, String prefix, String key) {
    for (int k = 0; k < USER_GAUGES.length; k++) {
      int index = k;
      target.register(prefix + "." + USER_GAUGES[k], (Gauge<Double>) () -> {
        double[] v = values.get(key);
        return v == null ? 0.0 : v[index];
      });
    }
  }

  /** A user name as one metric-name segment: letters, digits, '_' and '-' (else a hash suffix). */
  static String seriesName(String user) {
    String clean = user.replaceAll("[^A-Za-z0-9_-]", "_");
    return clean.equals(user) && !clean.isEmpty() ? clean
        : clean + "_" + Integer.toHexString(user.hashCode());
  }
}
