package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * A user's first job joined the queue (or its first after it was forgotten).
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqUserJoined implements SparkListenerEvent {
  public long timeMs;
  public String user;
  public double weight;

  public UwfqUserJoined() {} // for Jackson, when the History Server reads the event log

  public UwfqUserJoined(long timeMs, String user, double weight) {
    this.timeMs = timeMs;
    this.user = user;
    this.weight = weight;
  }
}
