package dev.uwfq.estimate;

/**
 * Where a job's estimate came from: the caller's hint, a level of the estimator's history, the
 * configured default, or (set by the scheduler's book) a peer of the same key or the same user's
 * job of the same key that just ended. The label is what status and tests show.
 */
public enum EstimateLevel {
  HINT("hint", true),
  USER_KEY("user-key", true),
  KEY("key", true),
  USER("user", false),
  RECENT("recent", false),
  DEFAULT("default", false),
  /** The same user's job of the same key that just ended (not yet history). */
  USER_KEY_ENDED("user-key-ended", true),
  /** A job of the same key that just ended, any user (a cold job following it). */
  KEY_ENDED("key-ended", true),
  /** The largest projection of the same key's running jobs (a cold job following them). */
  KEY_LIVE("key-live", true);

  private final String label;
  private final boolean knowsJob;

  EstimateLevel(String label, boolean knowsJob) {
    this.label = label;
    this.knowsJob = knowsJob;
  }

  public String label() {
    return label;
  }

  /** Knowledge of this kind of job (a hint, or its key's history or peers), not a guess. */
  public boolean knowsJob() {
    return knowsJob;
  }
}
