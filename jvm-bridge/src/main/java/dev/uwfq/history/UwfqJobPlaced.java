package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * A logical job joined the scheduler's queue, with its estimate and virtual deadline.
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqJobPlaced implements SparkListenerEvent {
  public long timeMs;
  public String job;
  public String user;
  public String key;
  public double estimateMs;
  public String source;
  public Double deadline;

  public UwfqJobPlaced() {} // for Jackson, when the History Server reads the event log

  public UwfqJobPlaced(long timeMs, String job, String user, String key, double estimateMs,
      String source, Double deadline) {
    this.timeMs = timeMs;
    this.job = job;
    this.user = user;
    this.key = key;
    this.estimateMs = estimateMs;
    this.source = source;
    this.deadline = deadline;
  }
}
