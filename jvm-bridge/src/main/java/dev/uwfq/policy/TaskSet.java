package dev.uwfq.policy;

import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;

/** A live task set (one stage attempt) in the book: its job and its tasks so far. */
final class TaskSet {
  final TaskSetInfo info;
  final Job job;
  int endedTasks;
  int runningTasks; // as last seen by an offer round
  boolean removed;
  final RunningTasks running = new RunningTasks();

  TaskSet(TaskSetInfo info, Job job) {
    this.info = info;
    this.job = job;
  }
}
