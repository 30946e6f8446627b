package dev.uwfq.policy;

/**
 * Spark's FAIR algorithm applied to task sets, as stock FAIR mode does without pools: the task
 * set with the fewest running tasks first (weight 1, no minimum share). Spark breaks ties by
 * task set name; here ties go to the earlier logical job, then the earlier stage.
 */
public final class FairPolicy extends BasePolicy {
  public FairPolicy(PolicyConfig config) {
    super(config);
  }

  @Override
  public String name() {
    return "fair";
  }

  @Override
  void keys(TaskSetView v, TaskSet ts, long nowMs) {
    v.primary = v.runningTasks;
    v.secondary = 0;
  }

  @Override
  boolean ordersByEstimates() {
    return false;
  }
}
