package dev.uwfq.policy;

import java.util.List;

/**
 * One scheduling policy: what it learns from events and the order it gives runnable task sets.
 * Like Spark's SchedulingAlgorithm, but free of Spark classes, so that the live plugin
 * (dev.uwfq.spark) and the simulator (dev.uwfq.sim) drive the very same classes.
 *
 * <p>Contract for callers: all calls come from one thread at a time (the plugin holds Spark's
 * scheduler lock; the simulator is single-threaded); time is passed in, in milliseconds, and a
 * policy never reads the wall clock. A task set is one stage attempt, named by (stageId,
 * stageAttempt). {@link #order} is asked at every offer round (whenever cores free up).
 */
public interface SchedulingPolicy {

  /** The name selected by {@code spark.uwfq.policy}. */
  String name();

  /** Total cores the application can use now; the policy's share arithmetic uses it. */
  void onCapacityChanged(int cores, long nowMs);

  /** A stage attempt became runnable (synchronously at stage submission). */
  void onTaskSetSubmitted(TaskSetInfo taskSet, long nowMs);

  /** A task of a task set ended after {@code runMs} of executor run time. */
  void onTaskEnded(int stageId, int stageAttempt, long runMs, boolean successful, long nowMs);

  /** A task set left the scheduler: all its tasks done, or its stage failed or was cancelled. */
  void onTaskSetRemoved(int stageId, int stageAttempt, long nowMs);

  /**
   * Every Spark job of this logical job has ended (succeeded, failed or cancelled). It leaves
   * the queue; a later task set with the same id continues it (a multi-action block).
   */
  void onLogicalJobEnded(String logicalJob, long nowMs);

  /**
   * As {@link #onLogicalJobEnded(String, long)}, knowing the last Spark job that ended: task sets
   * of that Spark job or earlier still in the pool (a cancelled or failed stage whose task set
   * leaves after the job's end) do not keep the job queued, it leaves with the last of them; a
   * task set of a later Spark job is the block running again. Without the id (the simulator),
   * every Spark job so far has ended.
   */
  default void onLogicalJobEnded(String logicalJob, int lastSparkJob, long nowMs) {
    onLogicalJobEnded(logicalJob, nowMs);
  }

  /**
   * Sorts {@code taskSets} in place into launch order. Views for every live task set are
   * passed, runnable or not, so that running-task counts are complete. Implementations take
   * one snapshot of their sort keys before sorting, and break ties deterministically.
   */
  void order(List<TaskSetView> taskSets, long nowMs);

  /**
   * Nothing is runnable: release what has expired (ended jobs past their linger, idle users past
   * their grace). The plugin calls it from an offer round that finds no task set, so an idle
   * application forgets its state without a status read having to change anything.
   */
  default void onIdle(long nowMs) {}

  /**
   * Writes the policy's users and logical jobs as members of the JSON object {@code out} has
   * open (see spark_uwfq.status). Read-only: it changes nothing the order depends on.
   * {@code live}: the task sets as Spark sees them now (their running tasks), or null to use
   * what the last order round saw.
   */
  void writeStatus(JsonWriter out, List<TaskSetView> live, long nowMs);

  /** {@link #writeStatus} as one JSON document. */
  default String statusJson(long nowMs) {
    JsonWriter out = new JsonWriter().beginObject();
    writeStatus(out, null, nowMs);
    return out.endObject().toString();
  }

  /** What a task set carries when it is submitted: its identity, hints and size. */
  record TaskSetInfo(
      int stageId,
      int stageAttempt,
      int sparkJobId,
      String user,
      String logicalJob,
      String jobKey,
      long costHintMs, // the caller's estimate of the whole logical job; <= 0 when none
      long inputBytes, // input size when known; < 0 when unknown
      int numTasks) {

    public long taskSetKey() {
      return key(stageId, stageAttempt);
    }

    public static long key(int stageId, int stageAttempt) {
      return ((long) stageId << 32) | (stageAttempt & 0xffffffffL);
    }
  }

  /**
   * A task set as one offer round sees it. {@code handle} is the caller's own object (Spark's
   * TaskSetManager, or the simulator's stage) and is never touched by a policy.
   */
  final class TaskSetView {
    public final TaskSetInfo info;
    public final int runningTasks;
    public final int pendingTasks;
    public final Object handle;
    // Sort keys, written by the policy in one pass before it sorts.
    double primary;
    double secondary;
    double tertiary;
    long arrival;

    public TaskSetView(TaskSetInfo info, int runningTasks, int pendingTasks, Object handle) {
      this.info = info;
      this.runningTasks = runningTasks;
      this.pendingTasks = pendingTasks;
      this.handle = handle;
    }
  }
}
