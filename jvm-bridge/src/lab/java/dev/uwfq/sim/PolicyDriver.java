package dev.uwfq.sim;

import dev.uwfq.policy.Policies;
import dev.uwfq.policy.PolicyConfig;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import dev.uwfq.policy.ShareLimits;
import dev.uwfq.policy.Weights;
import dev.uwfq.spark.PolicyHost;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds one of the plugin's policies the events Spark would give it, through the plugin's own
 * {@link PolicyHost}: submissions and removals directly (the plugin has them under the scheduler
 * lock), task ends and logical-job ends posted to its queue and applied before the next
 * decision (the plugin gets them from the listener bus), and FIFO for a round whose ordering
 * fails. Times are whole milliseconds, as in the plugin.
 */
final class PolicyDriver {
  private final PolicyHost host;
  private final int cores;

  PolicyDriver(SchedulingPolicy policy, int cores) {
    this.host = new PolicyHost(policy, policy.name());
    this.cores = cores;
  }

  /** The plugin's host: its share limits and the policy's last order (for preemption). */
  PolicyHost host() {
    return host;
  }

  long failures() {
    return host.failures();
  }

  /** The named policy as the plugin builds it by default, with the workload's user weights. */
  static PolicyDriver create(String name, int cores, Weights weights) {
    return create(name, cores, weights, ShareLimits.none());
  }

  /** As the plugin builds it, with per-user share limits applied to every order. */
  static PolicyDriver create(String name, int cores, Weights weights, ShareLimits limits) {
    PolicyConfig config = PolicyConfig.defaults(cores).withWeights(weights);
    PolicyDriver d = new PolicyDriver(Policies.create(name, config), cores);
    d.host.setLimits(limits);
    return d;
  }

  void submitted(StageRun s, double now) {
    Workload.LogicalJob l = s.logicalJob();
    s.info = new TaskSetInfo(s.stageId, 0, s.jobId, l.user, logicalJobId(l), l.key, l.hintMs, -1L,
        s.durations.length);
    host.submitted(s.info, cores, ms(now));
  }

  void taskEnded(StageRun s, double runMs, boolean successful, double now) {
    long run = Math.round(runMs);
    long at = ms(now);
    host.post(p -> p.onTaskEnded(s.stageId, 0, run, successful, at));
  }

  void removed(StageRun s, double now) {
    host.removed(s.info, ms(now));
  }

  void logicalJobEnded(Workload.LogicalJob l, double now) {
    String id = logicalJobId(l);
    long at = ms(now);
    host.post(p -> p.onLogicalJobEnded(id, at));
  }

  /**
   * The live stages in launch order (every live stage is shown, runnable or not), with the
   * share limits applied as in the plugin (a stage of a user at its cap is left out).
   */
  List<StageRun> order(List<StageRun> live, double now) {
    List<TaskSetView> views = new ArrayList<>(live.size());
    for (StageRun s : live) {
      views.add(new TaskSetView(s.info, s.running, s.pending(), s));
    }
    views = host.launchOrder(views, ms(now));
    List<StageRun> out = new ArrayList<>(views.size());
    for (TaskSetView v : views) {
      out.add((StageRun) v.handle);
    }
    return out;
  }

  static String logicalJobId(Workload.LogicalJob l) {
    return "sim-" + l.id;
  }

  private static long ms(double now) {
    return (long) Math.floor(now);
  }
}
