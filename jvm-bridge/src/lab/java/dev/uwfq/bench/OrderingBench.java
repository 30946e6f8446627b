package dev.uwfq.bench;

import dev.uwfq.policy.Policies;
import dev.uwfq.policy.PolicyConfig;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Cost of one offer round: build a view per live task set (as UwfqPool does, in the pool's
 * insertion order, with fresh running counts) and let the policy order them.
 *
 * <p>Usage: java -cp ... dev.uwfq.bench.OrderingBench [policy,...] [n,...] [rounds]
 * Prints one TSV line per (policy, n): policy, task_sets, rounds, us_per_round, ns_per_task_set.
 */
public final class OrderingBench {
  private OrderingBench() {}

  public static void main(String[] args) {
    String[] policies = (args.length > 0 ? args[0] : "uwfq,ujf,cfq,fifo,fair").split(",");
    String[] sizes = (args.length > 1 ? args[1] : "10,100,1000,10000").split(",");
    int minRounds = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    System.out.println("policy\ttask_sets\trounds\tus_per_round\tns_per_task_set");
    for (String name : policies) {
      for (String size : sizes) {
        int n = Integer.parseInt(size.trim());
        double[] r = measure(name.trim(), n, minRounds);
        System.out.printf("%s\t%d\t%d\t%.2f\t%.1f%n", name.trim(), n, (long) r[1], r[0] / 1e3,
            r[0] / n);
      }
    }
  }

  /** Median nanoseconds per round (over batches), and the rounds timed. */
  static double[] measure(String name, int n, int minRounds) {
    Random rnd = new Random(42);
    SchedulingPolicy policy = Policies.create(name, PolicyConfig.defaults(32));
    int users = Math.max(1, Math.min(100, n / 10));
    List<TaskSetInfo> infos = new ArrayList<>(n);
    long now = 1_000;
    for (int i = 0; i < n; i++) {
      int job = i / 2; // two stages per logical job
      TaskSetInfo info = new TaskSetInfo(i, 0, job, "user" + (job % users), "job" + job,
          "key" + (job % 50), 1000 + rnd.nextInt(100_000), -1, 1 + rnd.nextInt(200));
      policy.onTaskSetSubmitted(info, now++);
      infos.add(info);
    }
    // Some tasks have ended: estimates refined, virtual time moved.
    for (int i = 0; i < n; i += 3) {
      policy.onTaskEnded(i, 0, 200 + rnd.nextInt(2000), true, now++);
    }
    int[] running = new int[n];
    for (int i = 0; i < n; i++) {
      running[i] = rnd.nextInt(4);
    }
    int rounds = Math.max(minRounds, Math.min(20_000, 2_000_000 / n));
    int batches = 9;
    int perBatch = Math.max(1, rounds / batches);
    long sink = 0;
    // Warm up the JIT on the same path.
    for (int i = 0; i < Math.max(50, perBatch); i++) {
      sink += round(policy, infos, running, i, now);
    }
    double[] perRound = new double[batches];
    for (int b = 0; b < batches; b++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < perBatch; i++) {
        sink += round(policy, infos, running, i, now + i);
      }
      perRound[b] = (System.nanoTime() - t0) / (double) perBatch;
    }
    java.util.Arrays.sort(perRound);
    if (sink == 42) {
      System.out.print("");
    }
    return new double[] {perRound[batches / 2], (double) perBatch * batches};
  }

  private static long round(SchedulingPolicy policy, List<TaskSetInfo> infos, int[] running,
      int round, long now) {
    int n = infos.size();
    running[round % n] = (running[round % n] + 1) & 3; // a task launched or ended since
    List<TaskSetView> views = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      TaskSetInfo info = infos.get(i);
      views.add(new TaskSetView(info, running[i], info.numTasks() - running[i], info));
    }
    policy.order(views, now);
    return views.get(0).info.stageId();
  }
}
