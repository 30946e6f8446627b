package dev.uwfq.policy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded-wait preemption, for tasks that are long and cannot be cut: decides which running task
 * attempts to kill, from a snapshot (running attempts, runnable task sets, each ranked by its
 * place in the policy's last order). The caller kills them (Spark re-runs a killed task) and
 * reports each kill back with {@link #killed}. No Spark classes and no clock: the plugin's guard
 * thread and the simulator use this same code.
 *
 * <p>Rule: a logical job that has had runnable tasks for {@code waitMs} while its user runs fewer
 * than {@code shareFraction} x its fair share (cores x weight / active weights) takes cores from
 * users running more than their share whose task sets the policy ranks after the job (a later
 * virtual deadline, for uwfq): free cores first, then the youngest such attempts (least work
 * lost), never taking a victim below its share, and only as many as bring the waiting user back
 * to its share. The next attempt of a task killed before is never killed (no task is killed
 * twice in a row). Time is only passed in; calls may come from several threads.
 */
public final class PreemptionPlanner {
  private static final Logger LOG = LoggerFactory.getLogger(PreemptionPlanner.class);
  private static final int RECENT = 16;

  /** What {@code spark.uwfq.preemption.*} sets; off by default. */
  public record Settings(boolean enabled, long waitMs, double shareFraction, long checkIntervalMs) {
    /** Off, with the registry's defaults for the rest. */
    public static Settings off() {
      return new Settings(false, dev.uwfq.Settings.PREEMPTION_WAIT_MS.defaultLong(),
          Double.parseDouble(dev.uwfq.Settings.PREEMPTION_SHARE_FRACTION.defaultValue()),
          dev.uwfq.Settings.PREEMPTION_CHECK_INTERVAL_MS.defaultLong());
    }
  }

  /** A running task attempt; {@code rank}: its task set's place in the policy's order. */
  public record Attempt(long taskId, String user, String logicalJob, long taskSet, int index,
      long startMs, int rank) {}

  /** A task set with tasks waiting for a core. */
  public record Waiting(String user, String logicalJob, long taskSet, int pendingTasks, int rank) {}

  /** One attempt to kill, and why. */
  public record Kill(Attempt attempt, String reason) {}

  private record TaskKey(long taskSet, int index) {}

  private final Settings settings;
  private final Map<String, Long> waitingSince = new HashMap<>();
  private final Set<TaskKey> killedBefore = new HashSet<>();
  private long kills;
  private long trims;
  private double lostCoreMs;
  private final Map<String, Double> lostByUser = new TreeMap<>();
  private final ArrayDeque<String> recent = new ArrayDeque<>();

  public PreemptionPlanner(Settings settings) {
    this.settings = settings;
  }

  public Settings settings() {
    return settings;
  }

  /** Attempts to kill so that starved jobs get their users' shares back (empty when off). */
  public synchronized List<Kill> plan(int cores, List<Attempt> running, List<Waiting> waiting,
      ToDoubleFunction<String> weight, ShareLimits limits, long nowMs) {
    forgetGone(running, waiting);
    if (!settings.enabled()) {
      return List.of();
    }
    Map<String, int[]> runningBy = new HashMap<>();
    for (Attempt a : running) {
      runningBy.computeIfAbsent(a.user(), u -> new int[1])[0]++;
    }
    Map<String, Integer> pendingBy = new HashMap<>();
    Map<String, Waiting> firstOfJob = new HashMap<>(); // logical job -> its earliest-ranked task set
    for (Waiting w : waiting) {
      if (w.pendingTasks() > 0) {
        pendingBy.merge(w.user(), w.pendingTasks(), Integer::sum);
        firstOfJob.merge(w.logicalJob(), w, (a, b) -> a.rank() <= b.rank() ? a : b);
      }
    }
    Map<String, Double> share = shares(cores, runningBy.keySet(), pendingBy.keySet(), weight, limits);
    List<Waiting> starved = new ArrayList<>();
    Set<String> stillWaiting = new HashSet<>();
    for (Waiting w : firstOfJob.values()) {
      int has = count(runningBy, w.user());
      if (has >= settings.shareFraction() * share.get(w.user())
          || has >= limits.maxCores(w.user(), cores)) {
        continue;
      }
      stillWaiting.add(w.logicalJob());
      long since = waitingSince.computeIfAbsent(w.logicalJob(), j -> nowMs);
      if (nowMs - since >= settings.waitMs()) {
        starved.add(w);
      }
    }
    waitingSince.keySet().retainAll(stillWaiting);
    if (starved.isEmpty()) {
      return List.of();
    }
    starved.sort(Comparator.comparingInt(Waiting::rank));
    List<Attempt> youngestFirst = new ArrayList<>(running);
    youngestFirst.sort(Comparator.comparingLong(Attempt::startMs).reversed()
        .thenComparing(Comparator.comparingLong(Attempt::taskId).reversed()));
    int free = Math.max(0, cores - running.size());
    Map<String, int[]> gained = new HashMap<>();
    Map<String, int[]> lost = new HashMap<>();
    Set<Long> chosen = new HashSet<>();
    List<Kill> out = new ArrayList<>();
    for (Waiting w : starved) {
      String u = w.user();
      int[] g = gained.computeIfAbsent(u, x -> new int[1]);
      int target = Math.min((int) Math.ceil(share.get(u) - 1e-9), limits.maxCores(u, cores));
      int need = Math.min(pendingBy.get(u) - g[0], target - count(runningBy, u) - g[0]);
      int fromFree = Math.min(Math.max(need, 0), free);
      free -= fromFree;
      g[0] += fromFree;
      need -= fromFree;
      for (Attempt a : youngestFirst) {
        if (need <= 0) {
          break;
        }
        String v = a.user();
        int[] l = lost.computeIfAbsent(v, x -> new int[1]);
        boolean aboveShare = count(runningBy, v) - l[0] - 1 >= share.getOrDefault(v, 0.0) - 1e-9;
        if (v.equals(u) || a.rank() <= w.rank() || !aboveShare || chosen.contains(a.taskId())
            || killedBefore.contains(new TaskKey(a.taskSet(), a.index()))) {
          continue;
        }
        chosen.add(a.taskId());
        l[0]++;
        g[0]++;
        need--;
        out.add(new Kill(a, String.format("spark-uwfq preemption: job %s of user %s waited %d ms "
            + "with %d running tasks, under %.2f x its share of %.2f cores; user %s runs %d, "
            + "above its share of %.2f", w.logicalJob(), u, nowMs - waitingSince.get(w.logicalJob()),
            count(runningBy, u), settings.shareFraction(), share.get(u), v, count(runningBy, v),
            share.getOrDefault(v, 0.0))));
      }
    }
    return out;
  }

  /** Attempts over their user's cap (a round can overshoot it): the youngest of each such user. */
  public synchronized List<Kill> trims(int cores, List<Attempt> running, ShareLimits limits) {
    if (!limits.anyMax()) {
      return List.of();
    }
    Map<String, List<Attempt>> byUser = new HashMap<>();
    for (Attempt a : running) {
      byUser.computeIfAbsent(a.user(), u -> new ArrayList<>()).add(a);
    }
    List<Kill> out = new ArrayList<>();
    for (Map.Entry<String, List<Attempt>> e : byUser.entrySet()) {
      int cap = limits.maxCores(e.getKey(), cores);
      List<Attempt> mine = e.getValue();
      if (mine.size() <= cap) {
        continue;
      }
      mine.sort(Comparator.comparingLong(Attempt::startMs).reversed()
          .thenComparing(Comparator.comparingLong(Attempt::taskId).reversed()));
      for (Attempt a : mine.subList(0, mine.size() - cap)) {
        out.add(new Kill(a, "spark-uwfq: user " + e.getKey() + " runs " + mine.size()
            + " tasks, over its max share of " + cap + " cores"));
      }
    }
    return out;
  }

  /** The caller killed {@code k}'s attempt at {@code nowMs}: its run so far is lost work. */
  public synchronized void killed(Kill k, boolean trim, long nowMs) {
    Attempt a = k.attempt();
    double lostMs = Math.max(0, nowMs - a.startMs());
    if (trim) {
      trims++;
    } else {
      kills++;
      killedBefore.add(new TaskKey(a.taskSet(), a.index()));
    }
    lostCoreMs += lostMs;
    lostByUser.merge(a.user(), lostMs, Double::sum);
    String line = "task " + a.taskId() + " of " + a.user() + " (" + (long) lostMs + " ms lost): "
        + k.reason();
    LOG.info("spark-uwfq: killed {}", line);
    recent.addLast(line);
    if (recent.size() > RECENT) {
      recent.removeFirst();
    }
  }

  public synchronized long kills() {
    return kills;
  }

  public synchronized double lostCoreMs() {
    return lostCoreMs;
  }

  /** Settings, kills, trims and lost core-ms (total and per user), recent decisions. */
  public synchronized String statusJson() {
    StringBuilder sb = new StringBuilder("{\"enabled\":").append(settings.enabled())
        .append(",\"wait_ms\":").append(settings.waitMs())
        .append(",\"share_fraction\":").append(settings.shareFraction())
        .append(",\"check_interval_ms\":").append(settings.checkIntervalMs())
        .append(",\"kills\":").append(kills).append(",\"trims\":").append(trims)
        .append(",\"lost_core_ms\":").append(Math.round(lostCoreMs))
        .append(",\"lost_core_ms_by_user\":{");
    String sep = "";
    for (Map.Entry<String, Double> e : lostByUser.entrySet()) {
      sb.append(sep).append(JsonWriter.quote(e.getKey())).append(':').append(Math.round(e.getValue()));
      sep = ",";
    }
    sb.append("},\"recent\":[");
    sep = "";
    for (String line : recent) {
      sb.append(sep).append(JsonWriter.quote(line));
      sep = ",";
    }
    return sb.append("]}").toString();
  }

  /** Fair shares of the active users (running or waiting): cores x w / sum w, at most the cap. */
  private static Map<String, Double> shares(int cores, Set<String> a, Set<String> b,
      ToDoubleFunction<String> weight, ShareLimits limits) {
    Set<String> active = new HashSet<>(a);
    active.addAll(b);
    double total = 0;
    for (String u : active) {
      total += weight.applyAsDouble(u);
    }
    Map<String, Double> out = new HashMap<>();
    for (String u : active) {
      double s = total > 0 ? cores * weight.applyAsDouble(u) / total : 0;
      out.put(u, Math.min(s, limits.maxCores(u, cores)));
    }
    return out;
  }

  /** Immunity and wait clocks only for task sets and jobs still in the snapshot. */
  private void forgetGone(List<Attempt> running, List<Waiting> waiting) {
    if (killedBefore.isEmpty()) {
      return;
    }
    Set<Long> live = new HashSet<>();
    running.forEach(a -> live.add(a.taskSet()));
    waiting.forEach(w -> live.add(w.taskSet()));
    killedBefore.removeIf(k -> !live.contains(k.taskSet()));
  }

  private static int count(Map<String, int[]> m, String user) {
    int[] c = m.get(user);
    return c == null ? 0 : c[0];
  }
}
