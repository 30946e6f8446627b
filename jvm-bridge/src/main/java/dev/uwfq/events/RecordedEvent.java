package dev.uwfq.events;

/** One scheduling event as recorded from Spark's listener bus; immutable, one line of TSV. */
final class RecordedEvent {
  static final String HEADER =
      "kind\ttime_ms\tjob_id\tstage_id\tstage_attempt\ttask_id\texecutor\tuser\tlogical_job"
          + "\tjob_key\tlaunch_ms\trun_ms\tnum_tasks\tstatus";

  final String kind;
  final long timeMs;
  final int jobId;
  final int stageId;
  final int stageAttempt;
  final long taskId;
  final String executor;
  final JobTags tags;
  final long launchMs;
  final long runMs;
  final int numTasks;
  final String status;

  RecordedEvent(String kind, long timeMs, int jobId, int stageId, int stageAttempt, long taskId,
      String executor, JobTags tags, long launchMs, long runMs, int numTasks, String status) {
    this.kind = kind;
    this.timeMs = timeMs;
    this.jobId = jobId;
    this.stageId = stageId;
    this.stageAttempt = stageAttempt;
    this.taskId = taskId;
    this.executor = executor;
    this.tags = tags;
    this.launchMs = launchMs;
    this.runMs = runMs;
    this.numTasks = numTasks;
    this.status = status;
  }

  void appendTsv(StringBuilder out) {
    out.append(kind).append('\t').append(timeMs).append('\t').append(jobId).append('\t')
        .append(stageId).append('\t').append(stageAttempt).append('\t').append(taskId)
        .append('\t').append(clean(executor)).append('\t').append(clean(tags.user))
        .append('\t').append(clean(tags.logicalJob)).append('\t').append(clean(tags.jobKey))
        .append('\t').append(launchMs).append('\t').append(runMs).append('\t')
        .append(numTasks).append('\t').append(clean(status)).append('\n');
  }

  private static String clean(String s) {
    return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
  }
}
