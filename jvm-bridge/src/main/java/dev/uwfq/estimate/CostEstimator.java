package dev.uwfq.estimate;

/**
 * Estimates the cost of a logical job, in core-milliseconds (total executor run time of its
 * tasks), before it runs, and learns from jobs that completed. Used by the live plugin and the
 * simulator alike (the simulator may plug in an oracle or a noisy estimator instead).
 */
public interface CostEstimator {

  /**
   * @param key the job's key (recurring kind of job), or null when it has none
   * @param hintMs the caller's own estimate; <= 0 when none
   * @param inputBytes the job's input size; < 0 when unknown
   */
  Estimate estimate(String key, long hintMs, long inputBytes);

  /** A logical job with this key completed after using {@code coreMs}. */
  void onJobCompleted(String key, double coreMs, long inputBytes);

  /** An estimate and where it came from ("hint", "history", "default", ...). */
  record Estimate(double coreMs, String source) {}
}
