package dev.uwfq.policy;

import java.util.HashMap;
import java.util.Map;

/**
 * Cluster fair queuing: flat virtual-time fair queuing over stages, no users. Every live task
 * set is a flow of weight 1; virtual time grows by each ended task's run time over the number of
 * live task sets (C / live per millisecond under full load); a
 * stage's virtual finish is V at its submission plus its estimated cost, and the earliest
 * finish runs first. A stage's cost is its task count times the job's observed mean task time,
 * or, before any task of the job ended, the job's estimate.
 */
public final class CfqPolicy extends BasePolicy {
  private double v = 0;
  private int live = 0;
  private final Map<TaskSet, Double> deadlines = new HashMap<>(); // of live task sets

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
  void taskEnded(Job job, double runMs, boolean grew, long nowMs) {
    if (live > 0) {
      v += runMs / live; // self-clocked, as in UwfqPolicy
    }
  }

  @Override
  void taskSetAdded(TaskSet ts, long nowMs) {
    Job job = ts.job;
    double cost = job.endedTasks > 0
        ? job.usedMs / job.endedTasks * Math.max(1, ts.info.numTasks())
        : job.segmentCostMs();
    deadlines.put(ts, v + cost);
    live++;
  }

  @Override
  void taskSetRemoved(TaskSet ts, long nowMs) {
    live = Math.max(0, live - 1);
    deadlines.remove(ts);
  }

  @Override
  void repair(long nowMs) {
    v = 0;
    for (Map.Entry<TaskSet, Double> e : deadlines.entrySet()) {
      e.setValue(e.getKey().job.segmentCostMs());
    }
  }

  @Override
  void keys(TaskSetView view, TaskSet ts, long nowMs) {
    Double deadline = deadlines.get(ts);
    view.primary = deadline == null ? Double.NaN : deadline; // NaN: a removed task set, last
    view.secondary = 0;
  }
}
