package dev.uwfq.estimate;

/**
 * Estimates the cost of a logical job, in core-milliseconds (total executor run time of its
 * tasks), before it runs, and learns from jobs that completed. Used by the live plugin and the
 * simulator alike (the simulator may plug in an oracle or a noisy estimator instead).
 */
public interface CostEstimator {

  /**
   * @param user the job's user, or null when unknown
   * @param key the job's key (recurring kind of job), or null when it has none
   * @param hintMs the caller's own estimate; <= 0 when none
   * @param inputBytes the job's input size; < 0 when unknown
   * @param tasks the tasks of the job seen so far (its submitted task sets); <= 0 when unknown
   */
  Estimate estimate(String user, String key, long hintMs, long inputBytes, long tasks);

  /**
   * A logical job ended after using {@code coreMs} in {@code tasks}, as far as anyone knows yet
   * (a later action of the same block may continue it): the application's typical job for a
   * never-seen one. Told at once, while {@link #onJobCompleted} waits for the job's linger:
   * otherwise an application's first jobs are all guessed at the default until the first one
   * stops lingering, and the first to start keep that guess as a floor and wait behind their
   * user's later, smaller-looking jobs (docs/estimator-replay.md).
   */
  default void onJobEnded(double coreMs, long tasks) {}

  /** A logical job of this user and key completed after using {@code coreMs} in {@code tasks}. */
  void onJobCompleted(String user, String key, double coreMs, long inputBytes, long tasks);

  /** Whether {@code key}'s history shows jobs too different to be one kind (never for null). */
  default boolean keyVaries(String key) {
    return false;
  }

  /** An estimate and where it came from (see {@link EstimateLevel}, {@link EstimateScaling}). */
  record Estimate(double coreMs, EstimateLevel level, EstimateScaling scaling) {
    public Estimate(double coreMs, EstimateLevel level) {
      this(coreMs, level, EstimateScaling.NONE);
    }

    /** Whether the estimate is knowledge of this kind of job (a hint or its key's history). */
    public boolean knowsJob() {
      return level.knowsJob();
    }

    /** The source as status shows it: "hint", "user-key", "user-key-bytes", "recent-tasks"... */
    public String source() {
      return level.label() + scaling.suffix();
    }
  }
}
