package dev.uwfq.policy;

/**
 * Cluster fair queuing: flat virtual-time fair queuing over stages, no users. Every live task
 * set is a flow of weight 1; virtual time advances at C / (live task sets) per millisecond; a
 * stage's virtual finish is V at its submission plus its estimated cost, and the earliest
 * finish runs first. A stage's cost is its task count times the job's observed mean task time,
 * or, before any task of the job ended, the job's estimate.
 */
public final class CfqPolicy extends BasePolicy {
  private double v = 0;
  private long lastMs = Long.MIN_VALUE;
  private int live = 0;

  public CfqPolicy(PolicyConfig config) {
    super(config);
  }

  @Override
  public String name() {
    return "cfq";
  }

  @Override
  double virtualTime() {
    return v;
  }

  @Override
  void advance(long nowMs) {
    if (lastMs != Long.MIN_VALUE && nowMs > lastMs && live > 0) {
      v += (nowMs - lastMs) * (double) book.cores / live;
    }
    lastMs = Math.max(lastMs, nowMs);
  }

  @Override
  void taskSetAdded(JobBook.TaskSet ts, long nowMs) {
    JobBook.Job job = ts.job;
    double cost = job.endedTasks > 0
        ? job.usedMs / job.endedTasks * Math.max(1, ts.info.numTasks())
        : job.segmentCostMs();
    ts.deadline = v + cost;
    live++;
  }

  @Override
  void taskSetRemoved(JobBook.TaskSet ts, long nowMs) {
    advance(nowMs);
    live = Math.max(0, live - 1);
  }

  @Override
  void keys(TaskSetView view, JobBook.TaskSet ts, long nowMs) {
    view.primary = ts.deadline;
    view.secondary = 0;
  }
}
