package dev.uwfq.sim;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A workload as the simulator reads it: logical jobs, each made of Spark jobs, each made of
 * stages of tasks with durations. Written by workloads/uwfq_lab/simulate/batch.py, one record
 * a line, tab-separated:
 *
 * <pre>
 * L  id  user  jobKey  weight  arrivalMs  afterId  gapMs  hintMs   a logical job (after -1: open loop;
 *                                                                  hint -1: none)
 * J  logicalId                                                     a Spark job of the last L
 * S  ms ms ms ...                                                  a stage of the last J, task durations
 * </pre>
 */
final class Workload {
  static final class LogicalJob {
    final int id;
    final String user;
    final String key;
    final double weight;
    final double arrivalMs;
    final int after;
    final double gapMs;
    final long hintMs;
    final List<SparkJob> sparkJobs = new ArrayList<>();

    LogicalJob(int id, String user, String key, double weight, double arrivalMs, int after,
        double gapMs, long hintMs) {
      this.id = id;
      this.user = user;
      this.key = key;
      this.weight = weight;
      this.arrivalMs = arrivalMs;
      this.after = after;
      this.gapMs = gapMs;
      this.hintMs = hintMs;
    }
  }

  static final class SparkJob {
    final LogicalJob owner;
    final List<double[]> stages = new ArrayList<>();

    SparkJob(LogicalJob owner) {
      this.owner = owner;
    }
  }

  final List<LogicalJob> jobs = new ArrayList<>();

  /** The users' weights as spark.uwfq.weights spells them ("alice:2,bob:1"). */
  String weightSpec() {
    StringBuilder sb = new StringBuilder();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (LogicalJob l : jobs) {
      if (seen.add(l.user)) {
        sb.append(l.user).append(':').append(l.weight).append(',');
      }
    }
    return sb.toString();
  }

  /** A workload holding only {@code job}, arriving at time 0: its isolated run. */
  Workload alone(LogicalJob job) {
    Workload w = new Workload();
    LogicalJob copy = new LogicalJob(0, job.user, job.key, job.weight, 0.0, -1, 0.0, job.hintMs);
    for (SparkJob j : job.sparkJobs) {
      SparkJob c = new SparkJob(copy);
      c.stages.addAll(j.stages);
      copy.sparkJobs.add(c);
    }
    w.jobs.add(copy);
    return w;
  }

  static Workload read(Path path) throws IOException {
    Workload w = new Workload();
    try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      LogicalJob lastL = null;
      SparkJob lastJ = null;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        try {
          switch (f[0]) {
            case "L":
              lastL = new LogicalJob(Integer.parseInt(f[1]), f[2], f[3], Double.parseDouble(f[4]),
                  Double.parseDouble(f[5]), Integer.parseInt(f[6]), Double.parseDouble(f[7]),
                  Long.parseLong(f[8]));
              if (lastL.id != w.jobs.size()) {
                throw new IllegalArgumentException("logical job ids must be 0, 1, 2... in order");
              }
              w.jobs.add(lastL);
              lastJ = null;
              break;
            case "J":
              if (lastL == null) {
                throw new IllegalArgumentException("J before any L");
              }
              lastJ = new SparkJob(lastL);
              lastL.sparkJobs.add(lastJ);
              break;
            case "S":
              if (lastJ == null) {
                throw new IllegalArgumentException("S before any J");
              }
              double[] tasks = new double[f.length - 1];
              for (int i = 1; i < f.length; i++) {
                tasks[i - 1] = Double.parseDouble(f[i]);
                if (!(tasks[i - 1] > 0)) {
                  throw new IllegalArgumentException("task durations must be positive");
                }
              }
              if (tasks.length == 0) {
                throw new IllegalArgumentException("a stage needs at least one task");
              }
              lastJ.stages.add(tasks);
              break;
            default:
              throw new IllegalArgumentException("unknown record type " + f[0]);
          }
        } catch (RuntimeException e) {
          throw new IOException(path + ":" + lineNo + ": " + e.getMessage(), e);
        }
      }
    }
    for (LogicalJob l : w.jobs) {
      if (l.after >= w.jobs.size() || l.after == l.id) {
        throw new IOException(path + ": logical job " + l.id + " is chained after " + l.after
            + ", which does not exist");
      }
      if (l.sparkJobs.isEmpty()) {
        throw new IOException(path + ": logical job " + l.id + " has no Spark job");
      }
      for (SparkJob j : l.sparkJobs) {
        if (j.stages.isEmpty()) {
          throw new IOException(path + ": a Spark job of logical job " + l.id + " has no stage");
        }
      }
    }
    return w;
  }
}
