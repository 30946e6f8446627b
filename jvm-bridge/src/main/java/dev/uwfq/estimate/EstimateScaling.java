package dev.uwfq.estimate;

/** How a level's typical cost was scaled to this job: not at all, by input bytes or by task count. */
public enum EstimateScaling {
  NONE(""),
  BYTES("-bytes"),
  TASKS("-tasks");

  private final String suffix;

  EstimateScaling(String suffix) {
    this.suffix = suffix;
  }

  /** The label's suffix ("user-key-bytes", "recent-tasks"). */
  public String suffix() {
    return suffix;
  }
}
