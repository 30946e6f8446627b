package dev.uwfq.sim;

import dev.uwfq.policy.PreemptionPlanner;
import dev.uwfq.policy.ShareLimits;
import dev.uwfq.policy.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the simulator on one workload batch under several policies, in one JVM. Started by
 * workloads/uwfq_lab/simulate/runner.py as a subprocess with the bridge and lab jars on the
 * class path (the policies and the simulator do not touch Spark).
 *
 * <pre>
 * java -cp spark-uwfq-bridge.jar:spark-uwfq-lab.jar dev.uwfq.sim.Main --in BATCH.tsv --out DIR
 *      --policies fifo,uwfq [--cores 32] [--cores-per-executor 4] [--launches] [--isolated]
 * </pre>
 *
 * Writes DIR/POLICY.tsv per policy (see Outcome), and with --isolated DIR/isolated.tsv: every
 * logical job simulated alone on the same cores (its isolated response time).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Path in = null;
    Path outDir = null;
    List<String> policies = new ArrayList<>();
    int cores = 32;
    int coresPerExecutor = 4;
    boolean launches = false;
    boolean isolated = false;
    PreemptionPlanner.Settings preemption = PreemptionPlanner.Settings.off();
    String maxShare = "";
    String minShare = "";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--in": in = Path.of(args[++i]); break;
        case "--out": outDir = Path.of(args[++i]); break;
        case "--policies": policies.addAll(List.of(args[++i].split(","))); break;
        case "--cores": cores = Integer.parseInt(args[++i]); break;
        case "--cores-per-executor": coresPerExecutor = Integer.parseInt(args[++i]); break;
        case "--launches": launches = true; break;
        case "--isolated": isolated = true; break;
        case "--preemption": preemption = preemptionSettings(args[++i]); break;
        case "--max-share": maxShare = args[++i]; break;
        case "--min-share": minShare = args[++i]; break;
        default: fail("unknown argument " + args[i]);
      }
    }
    if (in == null || outDir == null || (policies.isEmpty() && !isolated)) {
      fail("usage: Main --in BATCH.tsv --out DIR --policies p1,p2 [--cores N] "
          + "[--cores-per-executor N] [--launches] [--isolated] "
          + "[--preemption WAIT_MS,SHARE_FRACTION,CHECK_INTERVAL_MS] [--max-share LIMIT] "
          + "[--min-share LIMIT]");
    }
    Workload workload = Workload.read(in);
    Weights weights = Weights.of(workload.weightSpec(), null);
    Files.createDirectories(outDir);
    for (String name : policies) {
      long t0 = System.nanoTime();
      ShareLimits limits = ShareLimits.of(maxShare, "", minShare, "");
      Preemption kills = preemption.enabled() || limits.any() ? new Preemption(preemption, weights) : null;
      Outcome outcome = new Simulator(workload, cores, coresPerExecutor,
          PolicyDriver.create(name, cores, weights, limits), launches, kills).run();
      outcome.wallMs = (System.nanoTime() - t0) / 1e6;
      outcome.write(outDir.resolve(name + ".tsv"));
    }
    if (isolated) {
      writeIsolated(workload, cores, coresPerExecutor, weights, outDir.resolve("isolated.tsv"));
    }
  }

  private static void writeIsolated(Workload workload, int cores, int coresPerExecutor,
      Weights weights, Path out) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (Workload.LogicalJob l : workload.jobs) {
      Workload alone = workload.alone(l);
      Outcome o = new Simulator(alone, cores, coresPerExecutor, PolicyDriver.create("fifo", cores, weights), false)
          .run();
      sb.append("I\t").append(l.id).append('\t')
          .append(o.logicalEndMs[0] - o.logicalStartMs[0]).append('\n');
    }
    Files.writeString(out, sb.toString());
  }

  /** "WAIT_MS,SHARE_FRACTION,CHECK_INTERVAL_MS", e.g. "5000,0.5,1000". */
  private static PreemptionPlanner.Settings preemptionSettings(String spec) {
    String[] f = spec.split(",");
    if (f.length != 3) {
      fail("--preemption takes WAIT_MS,SHARE_FRACTION,CHECK_INTERVAL_MS, got " + spec);
    }
    return new PreemptionPlanner.Settings(true, Long.parseLong(f[0].trim()),
        Double.parseDouble(f[1].trim()), Math.max(1, Long.parseLong(f[2].trim())));
  }

  private static void fail(String message) {
    System.err.println("dev.uwfq.sim.Main: " + message);
    System.exit(2);
  }
}
