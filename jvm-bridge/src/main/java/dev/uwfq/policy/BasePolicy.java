package dev.uwfq.policy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Shared plumbing: events update the {@link JobBook}; {@link #order} takes one snapshot of the
 * sort keys (one pass over the views), then sorts on those fixed keys, so the comparator is
 * consistent however the book changes later. Subclasses choose the keys, and keep whatever
 * state their keys need (released through {@link #userForgotten} and {@link #jobForgotten}).
 */
abstract class BasePolicy implements SchedulingPolicy {
  private static final long HOUSEKEEPING_EVERY_MS = 1000;
  final JobBook book;
  private long lastHousekeepingMs = Long.MIN_VALUE;
  private long lastOrderMs = Long.MIN_VALUE;
  private long previousRoundMs = Long.MIN_VALUE; // for the status' waiting times
  private final List<Job> touched = new ArrayList<>();

  BasePolicy(PolicyConfig config) {
    this.book = new JobBook(config, this::jobForgotten);
  }

  @Override
  public void onCapacityChanged(int cores, long nowMs) {
    if (cores > 0) {
      book.cores = cores;
    }
  }

  @Override
  public void onTaskSetSubmitted(TaskSetInfo taskSet, long nowMs) {
    housekeeping(nowMs, false);
    JobBook.Submission s = book.submit(taskSet, nowMs);
    if (taskSet.sparkJobId() > s.job().endPendingThrough) {
      s.job().endPendingThrough = -1; // a later Spark job: the block runs again
    }
    if (s.joined()) {
      jobJoined(s.job(), nowMs);
    } else if (s.estimateGrew()) {
      estimateGrew(s.job(), nowMs);
    }
    taskSetAdded(s.taskSet(), nowMs);
  }

  @Override
  public void onTaskEnded(int stageId, int stageAttempt, long runMs, boolean successful, long nowMs) {
    TaskSet ts = book.taskEnded(stageId, stageAttempt, runMs, successful);
    Job job = ts == null ? null : ts.job;
    if (job != null && job.startedMs < 0) { // ended before any round saw it running
      job.startedMs = Math.max(job.submittedMs, nowMs - Math.max(0, runMs));
    }
    boolean grew = false;
    if (ts != null) {
      served(job.user, Math.max(0, runMs));
      grew = book.estimates.taskEnded(job, successful);
    }
    boolean queued = book.queued(job);
    taskEnded(queued ? job : null, Math.max(0, runMs), queued && grew, nowMs);
    if (queued && grew) {
      coldPeersChanged(job, nowMs);
    }
  }

  /** Cold jobs follow their key's peers (EstimateTracker.follow): after {@code peer} grew or ended. */
  private void coldPeersChanged(Job peer, long nowMs) {
    if (ordersByEstimates()) {
      for (Job cold : book.estimates.coldPeersChanged(peer)) {
        estimateGrew(cold, nowMs);
      }
    }
  }

  @Override
  public void onTaskSetRemoved(int stageId, int stageAttempt, long nowMs) {
    TaskSet ts = book.removeTaskSet(stageId, stageAttempt);
    if (ts != null) {
      taskSetRemoved(ts, nowMs);
      if (ts.job.endPendingThrough >= 0 && ts.job.liveTaskSets == 0 && book.queued(ts.job)) {
        leave(ts.job, nowMs); // its end came while this cancelled or failed stage was live
      }
    }
  }

  @Override
  public void onLogicalJobEnded(String logicalJob, long nowMs) {
    onLogicalJobEnded(logicalJob, Integer.MAX_VALUE, nowMs);
  }

  @Override
  public void onLogicalJobEnded(String logicalJob, int lastSparkJob, long nowMs) {
    Job job = book.jobs.get(logicalJob);
    if (job != null && job.liveTaskSets == 0) {
      leave(job, nowMs);
    } else if (job != null && onlyEndedSparkJobsLive(job, lastSparkJob)) {
      job.endPendingThrough = lastSparkJob; // leaves with its last task set (onTaskSetRemoved)
    } // else unknown, or running again (a later action of the same block)
    housekeeping(nowMs, false);
  }

  private boolean onlyEndedSparkJobsLive(Job job, int lastSparkJob) {
    for (Long key : job.taskSetKeys) {
      TaskSet ts = book.taskSets.get(key);
      if (ts != null && !ts.removed && ts.info.sparkJobId() > lastSparkJob) {
        return false;
      }
    }
    return true;
  }

  private void leave(Job job, long nowMs) {
    job.endPendingThrough = -1;
    book.leave(job.id, nowMs);
    jobLeft(job, nowMs);
    coldPeersChanged(job, nowMs);
  }

  @Override
  public void onIdle(long nowMs) {
    housekeeping(nowMs, false);
  }

  @Override
  public final void order(List<TaskSetView> taskSets, long nowMs) {
    if (ordersByEstimates()) {
      refineFromRunning(taskSets, nowMs); // an extra pass under Spark's lock: only where it counts
    }
    beforeKeys(taskSets, nowMs);
    TaskSetView nonFinite = null;
    long launchedMs = previousRoundMs == Long.MIN_VALUE ? nowMs : Math.min(previousRoundMs, nowMs);
    previousRoundMs = nowMs;
    for (TaskSetView v : taskSets) {
      TaskSet ts = book.taskSet(v.info);
      if (ts == null) {
        // Not known to this policy (submitted before it took over): after everything known.
        v.primary = Double.POSITIVE_INFINITY;
        v.secondary = 0;
        v.arrival = Long.MAX_VALUE;
        continue;
      }
      ts.runningTasks = v.runningTasks;
      if (v.runningTasks > 0 && ts.job.startedMs < 0) {
        ts.job.startedMs = launchedMs; // first seen running: launched at the round before
      }
      v.arrival = ts.job.seq;
      keys(v, ts, nowMs);
      if (!ts.removed && !(Double.isFinite(v.primary) && Double.isFinite(v.secondary)
          && Double.isFinite(v.tertiary))) {
        nonFinite = v;
      }
    }
    if (nonFinite != null) {
      // A key no comparison can order by (a bug, or an overflow past the bounded weights and
      // hints): repair the state so that the next round orders by the policy again, and fail
      // this round, so that it is counted and ordered FIFO by the host.
      repair(nowMs);
      throw new IllegalStateException("policy '" + name() + "' gave task set "
          + nonFinite.info.stageId() + "." + nonFinite.info.stageAttempt()
          + " a non-finite sort key (" + nonFinite.primary + ", " + nonFinite.secondary + ", "
          + nonFinite.tertiary + "); its virtual clock was reset");
    }
    taskSets.sort(KeyOrder.BY_KEYS);
  }

  /**
   * Tasks first seen running now were launched after the previous round: their executor time so
   * far is a lower bound on their job's cost, which grows while they run (EstimateTracker).
   */
  private void refineFromRunning(List<TaskSetView> taskSets, long nowMs) {
    long launchedMs = lastOrderMs == Long.MIN_VALUE ? nowMs : Math.min(lastOrderMs, nowMs);
    lastOrderMs = nowMs;
    touched.clear();
    for (TaskSetView v : taskSets) {
      TaskSet ts = book.taskSet(v.info);
      if (ts == null || ts.removed) {
        continue;
      }
      ts.running.observe(v.runningTasks, launchedMs);
      Job job = ts.job;
      if (job.runningNow < 0) { // first of its task sets this round
        job.runningNow = 0;
        job.runningElapsedMs = 0;
        touched.add(job);
      }
      job.runningNow += ts.running.count();
      job.runningElapsedMs += ts.running.elapsedMs(nowMs);
    }
    for (Job job : touched) {
      if (book.queued(job) && book.estimates.refineFromRunning(job)) {
        estimateGrew(job, nowMs);
        coldPeersChanged(job, nowMs);
      }
      job.runningNow = -1;
    }
  }

  @Override
  public void writeStatus(JsonWriter out, List<TaskSetView> live, long nowMs) {
    StatusJson.write(this, out, live, nowMs); // no housekeeping: reading must not change state
  }

  /** Drops expired lingering jobs and users that no longer matter; at most once a second. */
  private void housekeeping(long nowMs, boolean force) {
    if (!force && lastHousekeepingMs != Long.MIN_VALUE
        && nowMs - lastHousekeepingMs < HOUSEKEEPING_EVERY_MS) {
      return;
    }
    lastHousekeepingMs = nowMs;
    book.expireLingering(nowMs);
    Iterator<User> it = book.users.values().iterator();
    while (it.hasNext()) {
      User u = it.next();
      if (u.jobs.isEmpty() && userReleasable(u, nowMs)) {
        it.remove();
        userForgotten(u);
      }
    }
  }

  // ---- what subclasses choose ------------------------------------------------------------

  /** Fills {@code v.primary} and {@code v.secondary}; smaller launches first. */
  abstract void keys(TaskSetView v, TaskSet ts, long nowMs);

  /** One pass before the keys, for keys that need totals (running tasks per user). */
  void beforeKeys(List<TaskSetView> taskSets, long nowMs) {}

  void jobJoined(Job job, long nowMs) {}

  /**
   * A task ended after {@code runMs} of executor time, succeeded or not. {@code job} is its
   * logical job when that job is still queued (else null); {@code grew}: its estimate grew.
   */
  void taskEnded(Job job, double runMs, boolean grew, long nowMs) {}

  /** Whether estimates change this policy's order (else running tasks are not re-read). */
  boolean ordersByEstimates() {
    return true;
  }

  /** The job's estimate grew while its tasks ran (between task ends). */
  void estimateGrew(Job job, long nowMs) {}

  /** A task of a known task set ended after {@code runMs}: its user was served that much. */
  void served(User u, double runMs) {}

  void taskSetAdded(TaskSet ts, long nowMs) {}

  void taskSetRemoved(TaskSet ts, long nowMs) {}

  void jobLeft(Job job, long nowMs) {}

  /** The book forgot {@code u} (idle and releasable): drop its policy state. */
  void userForgotten(User u) {}

  /** The book forgot {@code job} (it stopped lingering): drop its policy state. */
  void jobForgotten(Job job) {}

  /**
   * Brings the policy's own state back to finite values after a non-finite sort key (its
   * virtual clock restarts at 0, deadlines are recomputed from what is left to do).
   */
  void repair(long nowMs) {}

  /** An idle user (no active jobs) may be forgotten. */
  boolean userReleasable(User u, long nowMs) {
    return nowMs - u.idleSinceMs >= book.config.graceMs();
  }

  /** Global virtual time, or NaN for policies without one. */
  double virtualTime() {
    return Double.NaN;
  }

  /** A user's virtual start and finish (status), or NaN where the policy has none. */
  double virtualStart(User u) {
    return Double.NaN;
  }

  double virtualFinish(User u) {
    return Double.NaN;
  }

  /** A queued job's deadline (status), or NaN where the policy has none. */
  double deadline(Job job) {
    return Double.NaN;
  }

  /** A user's share of the cores: C * w / sum of active weights (0 when idle). */
  double share(User u) {
    if (u.jobs.isEmpty()) {
      return 0;
    }
    double w = book.activeWeight();
    return w > 0 ? book.cores * u.weight / w : 0;
  }
}
