package dev.uwfq.spark;

import dev.uwfq.Settings;
import dev.uwfq.UwfqConf;
import dev.uwfq.policy.PreemptionPlanner;
import dev.uwfq.policy.PreemptionPlanner.Attempt;
import dev.uwfq.policy.PreemptionPlanner.Kill;
import dev.uwfq.policy.PreemptionPlanner.Waiting;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import dev.uwfq.policy.ShareLimits;
import dev.uwfq.policy.Weights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.apache.spark.scheduler.TaskSetManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.util.control.NonFatal;

/**
 * Enforces preemption and max shares off Spark's scheduling path, on a daemon thread: every
 * {@code checkIntervalMs} (and right after an offer round that may have passed a cap) it copies
 * a snapshot of the running attempts and runnable task sets under the scheduler lock (a pass over
 * the running tasks, no decision), asks the {@link PreemptionPlanner} outside the lock, and kills
 * outside the lock with {@code SparkContext.killTaskAttempt}, so Spark re-runs each killed task.
 */
final class PreemptionGuard {
  private static final Logger LOG = LoggerFactory.getLogger(PreemptionGuard.class);
  private static final long TRIM_CHECK_MS = 1000;

  private final SparkContext sc;
  private final TaskSchedulerImpl scheduler;
  private final PolicyHost host;
  private final PreemptionPlanner planner;
  private final Weights weights;
  private final Semaphore wake = new Semaphore(0);
  private final Set<Long> killing = new HashSet<>(); // guard thread only: kills not yet ended
  private final Thread thread;
  private volatile boolean stopped;
  private long lastPlanMs = Long.MIN_VALUE;
  private java.util.Map<String, String> fileLimits = java.util.Map.of(); // as last applied

  private PreemptionGuard(SparkContext sc, TaskSchedulerImpl scheduler, PolicyHost host,
      PreemptionPlanner planner, Weights weights) {
    this.sc = sc;
    this.scheduler = scheduler;
    this.host = host;
    this.planner = planner;
    this.weights = weights;
    this.thread = new Thread(this::loop, "spark-uwfq-preemption");
    thread.setDaemon(true);
  }

  static PreemptionPlanner.Settings settings(UwfqConf conf) {
    return new PreemptionPlanner.Settings(
        conf.flag(Settings.PREEMPTION_ENABLED),
        conf.integer(Settings.PREEMPTION_WAIT_MS),
        conf.number(Settings.PREEMPTION_SHARE_FRACTION),
        conf.integer(Settings.PREEMPTION_CHECK_INTERVAL_MS));
  }

  static ShareLimits limits(UwfqConf conf) {
    return ShareLimits.of(conf.string(Settings.MAX_SHARE), conf.string(Settings.MAX_SHARES),
        conf.string(Settings.MIN_SHARE), conf.string(Settings.MIN_SHARES));
  }

  /** A started guard, or null when neither preemption nor a cap can ever need one. */
  static PreemptionGuard start(SparkContext sc, TaskSchedulerImpl scheduler, UwfqPool pool,
      PreemptionPlanner planner, Weights weights, boolean limitsMayChange) {
    PolicyHost host = pool.host();
    if (!planner.settings().enabled() && !host.limits().anyMax() && !limitsMayChange) {
      return null;
    }
    PreemptionGuard g = new PreemptionGuard(sc, scheduler, host, planner, weights);
    pool.afterEachRound(() -> {
      if (host.limits().mayOvershoot()) {
        g.wake.release();
      }
    });
    g.thread.start();
    return g;
  }

  void stop() {
    stopped = true;
    thread.interrupt();
  }

  private void loop() {
    PreemptionPlanner.Settings s = planner.settings();
    long every = s.enabled() ? Math.min(s.checkIntervalMs(), TRIM_CHECK_MS) : TRIM_CHECK_MS;
    while (!stopped) {
      try {
        wake.tryAcquire(every, TimeUnit.MILLISECONDS);
        wake.drainPermits();
        check();
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) { // the guard never dies; the scheduler does not depend on it
        if (!NonFatal.apply(t)) {
          throw t;
        }
        LOG.warn("spark-uwfq: preemption check failed; trying again at the next check", t);
      }
    }
  }

  private void check() {
    if (weights.fileLimits() != fileLimits) { // the weights file changed: its limits too
      fileLimits = weights.fileLimits();
      host.limits().reloadFile(fileLimits, "spark.uwfq.weightsFile");
    }
    List<Attempt> running = new ArrayList<>();
    List<Waiting> waiting = new ArrayList<>();
    int cores;
    synchronized (scheduler) {
      cores = host.cores();
      snapshot(host.lastOrder(), running, waiting);
    }
    long nowMs = System.currentTimeMillis();
    Set<Long> live = new HashSet<>();
    running.forEach(a -> live.add(a.taskId()));
    killing.retainAll(live);
    running.removeIf(a -> killing.contains(a.taskId())); // its core is being freed already
    ShareLimits limits = host.limits();
    kill(planner.trims(cores, running, limits), true, nowMs);
    if (limits.anyMax() && !waiting.isEmpty() && running.size() < cores) {
      // A round that left a capped user's task sets out launches nothing, and a local backend
      // offers again only when a task ends: revive as Spark's cluster backends do every second.
      scheduler.backend().reviveOffers();
    }
    if (planner.settings().enabled()
        && (lastPlanMs == Long.MIN_VALUE || nowMs - lastPlanMs >= planner.settings().checkIntervalMs())) {
      lastPlanMs = nowMs;
      running.removeIf(a -> killing.contains(a.taskId()));
      kill(planner.plan(cores, running, waiting, weights::weightOf, limits, nowMs), false, nowMs);
    }
  }

  private void kill(List<Kill> kills, boolean trim, long nowMs) {
    for (Kill k : kills) {
      long id = k.attempt().taskId();
      if (killing.contains(id)) {
        continue;
      }
      try {
        if (sc.killTaskAttempt(id, true, k.reason())) {
          killing.add(id);
          planner.killed(k, trim, nowMs);
        }
      } catch (RuntimeException e) {
        LOG.warn("spark-uwfq: could not kill task {} ({})", id, e.toString());
      }
    }
  }

  /** Under the scheduler lock: running attempts and waiting task sets, ranked by the last order. */
  private static void snapshot(List<TaskSetView> order, List<Attempt> running, List<Waiting> waiting) {
    int rank = 0;
    for (TaskSetView v : order) {
      rank++;
      if (!(v.handle instanceof TaskSetManager) || v.info.user() == null) {
        continue;
      }
      TaskSetManager m = (TaskSetManager) v.handle;
      if (m.isZombie()) {
        continue;
      }
      long key = v.info.taskSetKey();
      String user = v.info.user();
      String job = v.info.logicalJob();
      int pending = m.numTasks() - m.tasksSuccessful() - m.runningTasks();
      if (pending > 0) {
        waiting.add(new Waiting(user, job, key, pending, rank));
      }
      scala.collection.Iterator<Object> it = m.runningTasksSet().iterator();
      while (it.hasNext()) {
        long tid = (Long) it.next();
        Option<TaskInfo> info = m.taskInfos().get(tid);
        if (info.isDefined()) {
          TaskInfo t = info.get();
          running.add(new Attempt(tid, user, job, key, t.index(), t.launchTime(), rank));
        }
      }
    }
  }
}
