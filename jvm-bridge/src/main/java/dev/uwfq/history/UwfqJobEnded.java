package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * A logical job ended: the estimate it had and its real cost (core-ms its tasks ran).
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqJobEnded implements SparkListenerEvent {
  public long timeMs;
  public String job;
  public String user;
  public String key;
  public double estimateMs;
  public String source;
  public double usedMs;
  public long submittedMs;
  public long waitingMs;

  public UwfqJobEnded() {} // for Jackson, when the History Server reads the event log

  public UwfqJobEnded(long timeMs, String job, String user, String key, double estimateMs,
      String source, double usedMs, long submittedMs, long waitingMs) {
    this.timeMs = timeMs;
    this.job = job;
    this.user = user;
    this.key = key;
    this.estimateMs = estimateMs;
    this.source = source;
    this.usedMs = usedMs;
    this.submittedMs = submittedMs;
    this.waitingMs = waitingMs;
  }
}
