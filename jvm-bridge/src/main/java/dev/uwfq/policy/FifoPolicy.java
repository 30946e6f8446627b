package dev.uwfq.policy;

/** FIFO over logical jobs (not Spark job ids): the job that arrived first runs first. */
public final class FifoPolicy extends BasePolicy {
  public FifoPolicy(PolicyConfig config) {
    super(config);
  }

  @Override
  public String name() {
    return "fifo";
  }

  @Override
  void keys(TaskSetView v, TaskSet ts, long nowMs) {
    v.primary = ts.job.seq;
    v.secondary = v.info.sparkJobId();
  }

  @Override
  boolean ordersByEstimates() {
    return false;
  }
}
