package dev.uwfq.partition;

/** How many tasks a job should have so that each takes about the target time. Pure arithmetic. */
public final class TaskCount {
  private TaskCount() {}

  /**
   * {@code estimateMs / targetTaskMs} tasks, rounded, at least {@code minTasks} (the cores: fewer
   * tasks would leave cores idle) and at most {@code maxTasks} (beyond it per-task overhead
   * dominates). The cap wins when the two bounds cross.
   */
  public static int forEstimate(long estimateMs, long targetTaskMs, int minTasks, int maxTasks) {
    long raw = Math.round((double) estimateMs / Math.max(1, targetTaskMs));
    return clamp(Math.max(raw, minTasks), maxTasks);
  }

  /** An explicit request is honoured as given, within 1 and {@code maxTasks}. */
  public static int forRequest(long requested, int maxTasks) {
    return clamp(requested, maxTasks);
  }

  private static int clamp(long n, int maxTasks) {
    return (int) Math.max(1, Math.min(Math.max(1, maxTasks), n));
  }
}
