package dev.uwfq.events;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.JobSucceeded$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.scheduler.TaskInfo;

/**
 * Records job, stage and task events with the user and logical job they belong to, so that
 * replay, tests and benchmarks judge order and fairness from what Spark did, not from polling.
 * Events arrive on the listener bus thread, after the fact; nothing here feeds a decision.
 * The buffer is bounded: past {@code capacity} the oldest events are dropped (and counted).
 */
public final class EventRecorder extends SparkListener {
  private final SparkContext sc;
  private final String defaultUser;
  private final int capacity;
  private final ArrayDeque<RecordedEvent> buffer = new ArrayDeque<>();
  private final Map<Integer, Integer> jobOfStage = new ConcurrentHashMap<>();
  private final Map<Integer, JobTags> tagsOfJob = new ConcurrentHashMap<>();
  private long dropped = 0;

  public EventRecorder(SparkContext sc, String defaultUser, int capacity) {
    this.sc = sc;
    this.defaultUser = defaultUser;
    this.capacity = capacity;
  }

  @Override
  public void onJobStart(SparkListenerJobStart e) {
    JobTags tags = JobTags.of(e.properties(), e.jobId(), defaultUser);
    tagsOfJob.put(e.jobId(), tags);
    int tasks = 0;
    for (StageInfo s : scala.jdk.javaapi.CollectionConverters.asJava(e.stageInfos())) {
      jobOfStage.put(s.stageId(), e.jobId());
      tasks += s.numTasks();
    }
    add(new RecordedEvent("JOB_START", e.time(), e.jobId(), -1, -1, -1, null, tags, -1, -1,
        tasks, null));
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd e) {
    JobTags tags = tagsOfJob.remove(e.jobId());
    jobOfStage.values().removeIf(job -> job == e.jobId());
    String status = e.jobResult() == JobSucceeded$.MODULE$ ? "SUCCEEDED" : "FAILED";
    add(new RecordedEvent("JOB_END", e.time(), e.jobId(), -1, -1, -1, null,
        tags == null ? JobTags.NONE : tags, -1, -1, -1, status));
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted e) {
    StageInfo s = e.stageInfo();
    int job = jobOfStage.getOrDefault(s.stageId(), -1);
    long time = s.submissionTime().isDefined() ? (Long) s.submissionTime().get() : now();
    add(new RecordedEvent("STAGE_SUBMITTED", time, job, s.stageId(), s.attemptNumber(), -1, null,
        tagsOf(job), -1, -1, s.numTasks(), null));
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted e) {
    StageInfo s = e.stageInfo();
    int job = jobOfStage.getOrDefault(s.stageId(), -1);
    long time = s.completionTime().isDefined() ? (Long) s.completionTime().get() : now();
    String status = s.failureReason().isDefined() ? "FAILED" : "SUCCEEDED";
    add(new RecordedEvent("STAGE_COMPLETED", time, job, s.stageId(), s.attemptNumber(), -1, null,
        tagsOf(job), -1, -1, s.numTasks(), status));
  }

  @Override
  public void onTaskStart(SparkListenerTaskStart e) {
    TaskInfo t = e.taskInfo();
    int job = jobOfStage.getOrDefault(e.stageId(), -1);
    add(new RecordedEvent("TASK_START", t.launchTime(), job, e.stageId(), e.stageAttemptId(),
        t.taskId(), t.executorId(), tagsOf(job), t.launchTime(), -1, -1, null));
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    TaskInfo t = e.taskInfo();
    int job = jobOfStage.getOrDefault(e.stageId(), -1);
    long run = e.taskMetrics() == null ? -1 : e.taskMetrics().executorRunTime();
    add(new RecordedEvent("TASK_END", t.finishTime(), job, e.stageId(), e.stageAttemptId(),
        t.taskId(), t.executorId(), tagsOf(job), t.launchTime(), run, -1,
        t.successful() ? "SUCCEEDED" : t.killed() ? "KILLED" : "FAILED"));
  }

  /** Waits until every event posted so far has reached the listeners (and this recorder). */
  public boolean flush(long timeoutMs) {
    try {
      sc.listenerBus().waitUntilEmpty(timeoutMs);
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  /** All events recorded since the last drain, as TSV with a header line; clears the buffer. */
  public synchronized String drain() {
    StringBuilder out = new StringBuilder(RecordedEvent.HEADER).append('\n');
    for (RecordedEvent event : buffer) {
      event.appendTsv(out);
    }
    buffer.clear();
    return out.toString();
  }

  /**
   * The last {@code limit} events recorded, as {@link #drain} gives them, without clearing: a
   * read-only view for clients that have no py4j (Spark Connect, through SQL).
   */
  public synchronized String recent(int limit) {
    StringBuilder out = new StringBuilder(RecordedEvent.HEADER).append('\n');
    int skip = Math.max(0, buffer.size() - Math.max(0, limit));
    for (RecordedEvent event : buffer) {
      if (skip-- <= 0) {
        event.appendTsv(out);
      }
    }
    return out.toString();
  }

  /** Events dropped because the buffer was full (drain more often, or raise the capacity). */
  public synchronized long dropped() {
    return dropped;
  }

  private JobTags tagsOf(int job) {
    JobTags tags = tagsOfJob.get(job);
    return tags == null ? JobTags.NONE : tags;
  }

  private synchronized void add(RecordedEvent event) {
    if (capacity <= 0) {
      return;
    }
    if (buffer.size() >= capacity) {
      buffer.pollFirst();
      dropped++;
    }
    buffer.addLast(event);
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
