package dev.uwfq.policy;

import dev.uwfq.estimate.EstimateLevel;
import dev.uwfq.estimate.EstimateScaling;
import java.util.ArrayList;
import java.util.List;

/**
 * A logical job in the book: what it used, its tasks, and its cost estimate (kept up to date by
 * {@link EstimateTracker}; the fields below the estimate are the tracker's own).
 */
final class Job {
  final String id;
  final String key;
  final User user;
  final long seq; // order of first arrival: FIFO over logical jobs, and the last tie-break
  long inputBytes; // what its queries read so far; grows with a job group's later queries
  double usedMs;
  double usedAtJoin; // usedMs when the current queue segment began
  int endedTasks;
  int remainingTasks; // not yet ended, in live task sets
  int liveTaskSets;
  long tasksSeen; // in all task sets submitted so far
  long idleSinceMs;
  long submittedMs; // when it first joined the queue
  long startedMs = -1; // the round before its first task was seen running; -1 while waiting
  boolean endedOnce; // its first end was told to the estimator (onJobEnded)
  // Its Spark jobs up to this one ended while some of their task sets were still in the pool
  // (cancelled or failed stages): it leaves with the last of them. -1: no end pending.
  int endPendingThrough = -1;
  final List<Long> taskSetKeys = new ArrayList<>();
  final List<Long> endedTaskSetKeys = new ArrayList<>(); // its task sets once it left (JobBook)
  // What its running tasks showed at the last ordering round (BasePolicy.refineFromRunning).
  int runningNow = -1; // -1: not yet summed this round
  double runningElapsedMs;

  double estimateMs; // of the whole logical job
  EstimateLevel level;
  EstimateScaling scaling = EstimateScaling.NONE;
  double priorMsPerTask = Double.NaN; // set when the estimate was scaled by task count
  // A guess from other kinds of jobs, and no task of its own has run yet: it follows what
  // jobs of its key show (EstimateTracker.follow).
  boolean cold;
  double guessMs; // the estimator's guess, while cold
  EstimateLevel guessLevel;
  EstimateScaling guessScaling;

  Job(String id, String key, User user, long seq, long inputBytes) {
    this.id = id;
    this.key = key;
    this.user = user;
    this.seq = seq;
    this.inputBytes = inputBytes;
  }

  boolean hinted() {
    return level == EstimateLevel.HINT;
  }

  void setEstimate(double ms, EstimateLevel level, EstimateScaling scaling) {
    this.estimateMs = ms;
    this.level = level;
    this.scaling = scaling;
  }

  /** Where the estimate came from, as status shows it ("user-key-bytes", "key-live"...). */
  String source() {
    return level.label() + scaling.suffix();
  }

  /** What the current queue segment is expected to cost in all. */
  double segmentCostMs() {
    return Math.max(1.0, estimateMs - usedAtJoin);
  }

  /** What the job is still expected to cost (at least 1 core-ms while it is queued). */
  double remainingCostMs() {
    return Math.max(1.0, estimateMs - usedMs);
  }
}
