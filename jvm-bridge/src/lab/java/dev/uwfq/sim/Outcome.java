package dev.uwfq.sim;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What one simulation produced, written back as tab-separated records:
 *
 * <pre>
 * STAT  name  value
 * L     logicalId  startMs  endMs
 * S     logicalId  jobId  stageId  tasks  submitMs  endMs
 * T     timeMs  core  stageId  logicalId  durationMs   (task launches, only when asked for)
 * K     timeMs  core  stageId  logicalId  launchMs  trim (attempts killed; trim 1: over a cap)
 * </pre>
 */
final class Outcome {
  final double[] logicalStartMs;
  final double[] logicalEndMs;
  double busyCoreMs;
  double makespanMs;
  long orderCalls;
  long idleWhileRunnable;
  long policyFailures;
  double wallMs;
  double lostCoreMs;
  long kills;
  long trims;

  private final boolean recordLaunches;
  private final StringBuilder stages = new StringBuilder();
  private final StringBuilder launches = new StringBuilder();
  private final StringBuilder killed = new StringBuilder();

  Outcome(Workload workload, boolean recordLaunches) {
    int n = workload.jobs.size();
    this.logicalStartMs = new double[n];
    this.logicalEndMs = new double[n];
    Arrays.fill(logicalStartMs, Double.NaN);
    Arrays.fill(logicalEndMs, Double.NaN);
    this.recordLaunches = recordLaunches;
  }

  void stageEnded(StageRun s, double now) {
    stages.append("S\t").append(s.logicalJob().id).append('\t').append(s.jobId).append('\t')
        .append(s.stageId).append('\t').append(s.durations.length).append('\t')
        .append(s.submitMs).append('\t').append(now).append('\n');
  }

  void launched(StageRun s, int core, double now, double duration) {
    if (recordLaunches) {
      launches.append("T\t").append(now).append('\t').append(core).append('\t')
          .append(s.stageId).append('\t').append(s.logicalJob().id).append('\t')
          .append(duration).append('\n');
    }
  }

  /** An attempt launched at {@code launchMs} was killed at {@code now} (a trim: over a cap). */
  void killed(StageRun s, int core, double launchMs, double now, boolean trim) {
    lostCoreMs += now - launchMs;
    if (trim) {
      trims++;
    } else {
      kills++;
    }
    killed.append("K\t").append(now).append('\t').append(core).append('\t').append(s.stageId)
        .append('\t').append(s.logicalJob().id).append('\t').append(launchMs).append('\t')
        .append(trim ? 1 : 0).append('\n');
  }

  void write(Path path) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
      w.write("STAT\tbusy_core_ms\t" + busyCoreMs + "\n");
      w.write("STAT\tmakespan_ms\t" + makespanMs + "\n");
      w.write("STAT\torder_calls\t" + orderCalls + "\n");
      w.write("STAT\tidle_while_runnable\t" + idleWhileRunnable + "\n");
      w.write("STAT\tpolicy_failures\t" + policyFailures + "\n");
      w.write("STAT\twall_ms\t" + wallMs + "\n");
      w.write("STAT\tlost_core_ms\t" + lostCoreMs + "\n");
      w.write("STAT\tkills\t" + kills + "\n");
      w.write("STAT\ttrims\t" + trims + "\n");
      for (int i = 0; i < logicalStartMs.length; i++) {
        w.write("L\t" + i + "\t" + logicalStartMs[i] + "\t" + logicalEndMs[i] + "\n");
      }
      w.write(stages.toString());
      w.write(launches.toString());
      w.write(killed.toString());
    }
  }
}
