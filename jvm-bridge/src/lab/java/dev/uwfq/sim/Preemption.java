package dev.uwfq.sim;

import dev.uwfq.policy.PreemptionPlanner;
import dev.uwfq.policy.PreemptionPlanner.Attempt;
import dev.uwfq.policy.PreemptionPlanner.Kill;
import dev.uwfq.policy.PreemptionPlanner.Waiting;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import dev.uwfq.policy.Weights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's side of preemption: the snapshot the plugin's guard takes from Spark, taken
 * from the simulated cores instead, handed to the plugin's own {@link PreemptionPlanner}; the
 * answer comes back as the cores whose attempts to kill.
 */
final class Preemption {
  private final PreemptionPlanner planner;
  private final Weights weights;

  Preemption(PreemptionPlanner.Settings settings, Weights weights) {
    this.planner = new PreemptionPlanner(settings);
    this.weights = weights;
  }

  /** 0 when only share limits are simulated (no periodic check). */
  long checkIntervalMs() {
    return planner.settings().enabled() ? planner.settings().checkIntervalMs() : 0;
  }

  List<Integer> plan(Simulator sim, PolicyDriver policy, double now) {
    List<Attempt> running = new ArrayList<>();
    List<Waiting> waiting = new ArrayList<>();
    Map<Long, Integer> coreOf = snapshot(sim, policy, running, waiting);
    long at = (long) Math.floor(now);
    List<Kill> kills = planner.plan(sim.cores(), running, waiting, weights::weightOf,
        policy.host().limits(), at);
    return cores(kills, coreOf, false, at);
  }

  List<Integer> trims(Simulator sim, PolicyDriver policy) {
    List<Attempt> running = new ArrayList<>();
    Map<Long, Integer> coreOf = snapshot(sim, policy, running, new ArrayList<>());
    long at = (long) Math.floor(sim.now());
    return cores(planner.trims(sim.cores(), running, policy.host().limits()), coreOf, true, at);
  }

  private List<Integer> cores(List<Kill> kills, Map<Long, Integer> coreOf, boolean trim, long at) {
    List<Integer> out = new ArrayList<>(kills.size());
    for (Kill k : kills) {
      out.add(coreOf.get(k.attempt().taskId()));
      planner.killed(k, trim, at);
    }
    return out;
  }

  /** Running attempts and waiting stages, ranked by the policy's last order; attempt -> core. */
  private static Map<Long, Integer> snapshot(Simulator sim, PolicyDriver policy,
      List<Attempt> running, List<Waiting> waiting) {
    Map<StageRun, Integer> rank = new HashMap<>();
    int r = 0;
    for (TaskSetView v : policy.host().lastOrder()) {
      rank.put((StageRun) v.handle, ++r);
    }
    for (StageRun s : sim.active()) {
      if (s.pending() > 0) {
        waiting.add(new Waiting(s.logicalJob().user, PolicyDriver.logicalJobId(s.logicalJob()),
            s.info.taskSetKey(), s.pending(), rank.getOrDefault(s, Integer.MAX_VALUE)));
      }
    }
    Map<Long, Integer> coreOf = new HashMap<>();
    for (int c = 0; c < sim.cores(); c++) {
      StageRun s = sim.onCore(c);
      if (s == null) {
        continue;
      }
      long attempt = sim.attemptOnCore(c);
      coreOf.put(attempt, c);
      running.add(new Attempt(attempt, s.logicalJob().user,
          PolicyDriver.logicalJobId(s.logicalJob()), s.info.taskSetKey(), sim.taskIndex(c),
          (long) Math.floor(sim.taskStartMs(c)), rank.getOrDefault(s, Integer.MAX_VALUE)));
    }
    return coreOf;
  }
}
