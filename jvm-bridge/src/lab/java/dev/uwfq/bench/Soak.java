package dev.uwfq.bench;

import dev.uwfq.policy.Policies;
import dev.uwfq.policy.PolicyConfig;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.ArrayList;
import java.util.List;

/**
 * A long-running application in fast-forward: many logical jobs (some cancelled mid-way) from
 * many users pass through a policy on a simulated clock; prints the policy's status at the end,
 * so a test can check that its state stayed bounded.
 *
 * <p>Usage: java -cp ... dev.uwfq.bench.Soak policy jobs users
 */
public final class Soak {
  private Soak() {}

  public static void main(String[] args) {
    String name = args.length > 0 ? args[0] : "uwfq";
    int jobs = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int users = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
    SchedulingPolicy policy = Policies.create(name, PolicyConfig.defaults(32));
    long now = 0;
    int stage = 0;
    int maxTracked = 0;
    for (int j = 0; j < jobs; j++) {
      now += 7; // a job every 7 ms of simulated time
      String id = "job" + j;
      int tasks = 1 + j % 4;
      TaskSetInfo info = new TaskSetInfo(stage, 0, j, "user" + (j % users), id, "key" + (j % 100),
          j % 5 == 0 ? 500 : -1, -1, tasks);
      policy.onTaskSetSubmitted(info, now);
      List<TaskSetView> views = new ArrayList<>(1);
      views.add(new TaskSetView(info, 0, tasks, null));
      policy.order(views, now);
      boolean cancelled = j % 10 == 3;
      for (int t = 0; t < (cancelled ? 1 : tasks); t++) {
        policy.onTaskEnded(stage, 0, 50 + (j * 31 + t) % 400, !cancelled, now + 1);
      }
      policy.onTaskSetRemoved(stage, 0, now + 2);
      policy.onLogicalJobEnded(id, now + 3);
      stage++;
      if (j % 1000 == 0) {
        maxTracked = Math.max(maxTracked, tracked(policy.statusJson(now)));
      }
    }
    // An hour later (an event lets the policy see the time) everything has been released.
    policy.onLogicalJobEnded("(none)", now + 3_600_000);
    String end = policy.statusJson(now + 3_600_000);
    System.out.println("max_tracked\t" + maxTracked);
    System.out.println("status\t" + end);
  }

  /** Users + queued jobs + lingering jobs + task sets named in a status document. */
  private static int tracked(String json) {
    int ended = json.indexOf("\"ended_jobs\":"); // a window onto the lingering jobs, counted below
    String live = ended < 0 ? json : json.substring(0, ended);
    int n = count(live, "\"user\":") + count(live, "\"job\":");
    return n + intField(json, "\"lingering_jobs\":") + intField(json, "\"task_sets\":");
  }

  private static int count(String s, String needle) {
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  private static int intField(String s, String name) {
    int i = s.indexOf(name) + name.length();
    int j = i;
    while (j < s.length() && Character.isDigit(s.charAt(j))) {
      j++;
    }
    return Integer.parseInt(s.substring(i, j));
  }
}
