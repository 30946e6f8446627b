package dev.uwfq.sim;

import dev.uwfq.policy.SchedulingPolicy;

/** One submitted stage (a task set) while it runs: which tasks are launched, running, done. */
final class StageRun {
  final Workload.SparkJob sparkJob;
  final int stageIndex;
  final int stageId;
  final int jobId;
  final double[] durations;
  final double submitMs;
  /** What the policy was told at submission; shown again in every offer round. */
  SchedulingPolicy.TaskSetInfo info;
  int nextTask;
  /** Tasks killed while running, to be run again first (Spark re-queues a killed task). */
  final java.util.ArrayDeque<Integer> retry = new java.util.ArrayDeque<>();
  int running;
  int finished;

  StageRun(Workload.SparkJob sparkJob, int stageIndex, int stageId, int jobId, double submitMs) {
    this.sparkJob = sparkJob;
    this.stageIndex = stageIndex;
    this.stageId = stageId;
    this.jobId = jobId;
    this.durations = sparkJob.stages.get(stageIndex);
    this.submitMs = submitMs;
  }

  Workload.LogicalJob logicalJob() {
    return sparkJob.owner;
  }

  int pending() {
    return durations.length - nextTask + retry.size();
  }

  /** The index of the next task to launch: a killed one first. */
  int takeNext() {
    Integer again = retry.poll();
    return again != null ? again : nextTask++;
  }

  boolean complete() {
    return finished == durations.length;
  }
}
