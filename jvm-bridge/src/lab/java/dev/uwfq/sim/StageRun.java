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
    return durations.length - nextTask;
  }

  boolean complete() {
    return finished == durations.length;
  }
}
