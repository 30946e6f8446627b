package dev.uwfq.policy;

import dev.uwfq.estimate.CostEstimator;
import dev.uwfq.estimate.EstimateLevel;
import dev.uwfq.estimate.EstimateScaling;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each queued job's cost estimate over its life: the first estimate at submission (the
 * estimator's, or the same user's same kind of job that just ended), growth with later task sets
 * and more input, a cold job following its key's peers, and growth from ended and running task
 * times. Every policy's book has one; only the policies whose order reads estimates ask it to
 * re-read running tasks.
 */
final class EstimateTracker {
  /** A running-task projection is news only past this factor (the policy re-sorts on news). */
  static final double GROWTH_STEP = 1.05;

  private final PolicyConfig config;
  private final Lingering lingering;
  // Queued jobs by key, any user: what a cold job follows.
  private final Map<String, List<Job>> liveByKey = new HashMap<>();
  private final List<Job> peersChanged = new ArrayList<>();

  EstimateTracker(PolicyConfig config, Lingering lingering) {
    this.config = config;
    this.lingering = lingering;
  }

  /** A new job's first estimate. */
  void start(Job job, TaskSetInfo info) {
    CostEstimator.Estimate e = config.estimator().estimate(job.user.name, job.key,
        info.costHintMs(), info.inputBytes(), Math.max(0, info.numTasks()));
    job.setEstimate(Math.max(1.0, e.coreMs()), e.level(), e.scaling());
    Job previous = lingering.lastOf(job.user.name, job.key);
    if (previous != null && e.level() != EstimateLevel.HINT && e.level() != EstimateLevel.USER_KEY
        && previous.usedMs >= 1) {
      // The same user's same kind of job just ended: better than any other level, though it
      // becomes history only when it stops lingering (a user's next job often comes at once,
      // as in a loop).
      job.setEstimate(previous.usedMs, EstimateLevel.USER_KEY_ENDED, EstimateScaling.NONE);
    }
    job.cold = !e.knowsJob() && job.level != EstimateLevel.USER_KEY_ENDED && job.key != null;
    job.guessMs = job.estimateMs;
    job.guessLevel = job.level;
    job.guessScaling = job.scaling;
    if (job.scaling == EstimateScaling.TASKS && info.numTasks() > 0) {
      job.priorMsPerTask = job.estimateMs / info.numTasks();
    }
  }

  /** An ended job continued by a later task set of the same id (its next action). */
  void continued(Job job, TaskSetInfo info) {
    if (job.estimateMs - job.usedMs < 1.0) {
      // It outgrew its estimate: expect as much again as its tasks took on average so far.
      double mean = job.endedTasks > 0 ? job.usedMs / job.endedTasks : config.defaultCostMs();
      job.estimateMs = job.usedMs + mean * Math.max(1, info.numTasks());
    }
  }

  void queued(Job job) {
    if (job.key != null) {
      liveByKey.computeIfAbsent(job.key, k -> new ArrayList<>()).add(job);
    }
  }

  void left(Job job) {
    if (job.key != null) {
      List<Job> peers = liveByKey.get(job.key);
      if (peers != null && peers.remove(job) && peers.isEmpty()) {
        liveByKey.remove(job.key);
      }
    }
  }

  /**
   * A task set of {@code job} was added (its counts already include it); returns whether an
   * already queued job's estimate grew with its input.
   */
  boolean taskSetAdded(Job job, TaskSetInfo info) {
    if (job.tasksSeen * job.priorMsPerTask > job.estimateMs) {
      // An estimate per task grows with the job's later task sets (a job group's Spark jobs).
      job.estimateMs = job.tasksSeen * job.priorMsPerTask;
      job.guessMs = Math.max(job.guessMs, job.estimateMs);
    }
    boolean grew = info.inputBytes() > job.inputBytes && inputGrew(job, info.inputBytes());
    if (job.cold) {
      follow(job);
    }
    return grew;
  }

  /**
   * A job already known shows more input: its group's next query, or its query after a leading
   * Spark job that read no files (a parquet schema inference). A learned estimate grows to what
   * its key's cost per byte says for all of it.
   */
  private boolean inputGrew(Job job, long inputBytes) {
    job.inputBytes = inputBytes;
    if (job.hinted()) {
      return false;
    }
    CostEstimator.Estimate e = config.estimator().estimate(job.user.name, job.key, -1, inputBytes,
        job.tasksSeen);
    if (e.scaling() == EstimateScaling.BYTES && e.coreMs() > job.estimateMs) {
      job.setEstimate(e.coreMs(), e.level(), e.scaling());
      job.cold = false; // its key's history knows it now
      return true;
    }
    return false;
  }

  /**
   * A task of {@code job} ended (its time and, if it succeeded, its count already booked);
   * returns whether the job's projected cost grew past its estimate.
   */
  boolean taskEnded(Job job, boolean successful) {
    job.cold = false;
    if (!successful) {
      return false; // a failed task is retried: its time is used, the remaining count stays
    }
    double perTask = job.usedMs / job.endedTasks;
    if (job.hinted()) {
      // A hint is trusted until the job has used it all, and past that its remaining tasks
      // are still costed at the hint's rate: the first tasks to end over-project (file scans
      // run their largest splits first), and one stalled task (GC, a busy host) must not make
      // a hinted small job look several times its size and wait behind other users' work.
      if (job.usedMs < job.estimateMs) {
        return false;
      }
      perTask = Math.min(perTask, job.estimateMs / Math.max(1, job.endedTasks + job.remainingTasks));
    }
    double projected = job.usedMs + job.remainingTasks * perTask;
    if (projected > job.estimateMs) {
      job.estimateMs = projected;
      return true;
    }
    return false;
  }

  /**
   * Grows the job's estimate to what its running tasks show, from {@code runningNow} and
   * {@code runningElapsedMs} (the caller sums them over the job's task sets); returns whether it
   * grew by more than {@value #GROWTH_STEP}x, so that the policy re-sorts only on real news.
   * A hint is the caller's knowledge and is left to the task-end projection. A learned estimate
   * grows to the projection: the ended tasks' time, the running tasks' elapsed time (at least
   * the mean task each), and the mean task for each task not started (the ended tasks' mean, or
   * with none ended the running tasks' mean elapsed time: long tasks show while they run).
   * Running tasks count only for themselves: the tasks seen running are the long ones (the
   * short ones came and went between rounds), and costing every remaining task at their mean
   * over-projects a job of skewed tasks to about twice its size.
   */
  boolean refineFromRunning(Job job) {
    if (job.runningNow > 0) {
      job.cold = false;
    }
    if (job.runningNow == 0 || job.hinted()) {
      return false;
    }
    double runningMean = job.runningElapsedMs / job.runningNow;
    double perTask = job.endedTasks > 0 ? job.usedMs / job.endedTasks : runningMean;
    double notStarted = Math.max(0, job.remainingTasks - job.runningNow);
    double projected = job.usedMs + Math.max(job.runningElapsedMs, job.runningNow * perTask)
        + notStarted * perTask;
    if (projected > job.estimateMs * GROWTH_STEP) {
      job.estimateMs = projected;
      return true;
    }
    return false;
  }

  /**
   * A never-seen job's first guess comes from other kinds of jobs; a job of its own key that just
   * ended, or else is running, knows better, unless the key's history shows its jobs vary too
   * much to be one kind. The cold job takes that peer's cost (scaled by input bytes, else by
   * task count, when both jobs know theirs) until its own tasks show: several users' identical
   * jobs arriving together, each guessed small in turn, would otherwise overtake the one running
   * and be interleaved. An ended peer's cost is the truth; a running peer's is a projection, so
   * the cold job takes the largest of those and its own guess, and drops back to the truth when
   * the peer ends.
   */
  private void follow(Job cold) {
    if (config.estimator().keyVaries(cold.key)) {
      return;
    }
    Job ended = lingering.lastOfKey(cold.key);
    if (ended != null && ended.usedMs >= 1) {
      cold.setEstimate(Math.max(1.0, scaled(ended.usedMs, ended, cold)), EstimateLevel.KEY_ENDED,
          EstimateScaling.NONE);
      return;
    }
    double ms = cold.guessMs;
    EstimateLevel level = cold.guessLevel;
    EstimateScaling scaling = cold.guessScaling;
    for (Job peer : liveByKey.getOrDefault(cold.key, List.of())) {
      double peerMs = peer.cold ? 0 : scaled(peer.estimateMs, peer, cold);
      if (peerMs > ms) {
        ms = peerMs;
        level = EstimateLevel.KEY_LIVE;
        scaling = EstimateScaling.NONE;
      }
    }
    cold.setEstimate(Math.max(1.0, ms), level, scaling);
  }

  private static double scaled(double peerMs, Job peer, Job cold) {
    if (cold.inputBytes > 0 && peer.inputBytes > 0) {
      return peerMs * cold.inputBytes / peer.inputBytes;
    }
    if (cold.tasksSeen > 0 && peer.tasksSeen > 0) {
      return peerMs * cold.tasksSeen / peer.tasksSeen;
    }
    return peerMs;
  }

  /**
   * After {@code peer}'s estimate grew, or it ended: the cold jobs of its key whose estimate
   * changed with it (the list is reused: read it before the next call). One pass over the key's
   * queued jobs, under Spark's scheduler lock: only what {@code peer} changed is applied
   * (follow's maximum over the other peers is already in each cold job's estimate).
   */
  List<Job> coldPeersChanged(Job peer) {
    peersChanged.clear();
    if (peer.key == null || config.estimator().keyVaries(peer.key)) {
      return peersChanged;
    }
    Job ended = lingering.lastOfKey(peer.key);
    boolean hasTruth = ended != null && ended.usedMs >= 1;
    boolean isTruth = hasTruth && ended == peer;
    if (!isTruth && (hasTruth || peer.cold)) {
      return peersChanged; // an ended job's cost outranks a projection; a cold job is no news
    }
    for (Job cold : liveByKey.getOrDefault(peer.key, List.of())) {
      if (!cold.cold || cold == peer) {
        continue;
      }
      double ms = Math.max(1.0, scaled(isTruth ? peer.usedMs : peer.estimateMs, peer, cold));
      if (isTruth ? ms != cold.estimateMs : ms > cold.estimateMs) {
        cold.setEstimate(ms, isTruth ? EstimateLevel.KEY_ENDED : EstimateLevel.KEY_LIVE,
            EstimateScaling.NONE);
        peersChanged.add(cold);
      }
    }
    return peersChanged;
  }
}
