package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * A user was forgotten by the policy: no jobs left and its virtual finish passed.
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqUserLeft implements SparkListenerEvent {
  public long timeMs;
  public String user;

  public UwfqUserLeft() {} // for Jackson, when the History Server reads the event log

  public UwfqUserLeft(long timeMs, String user) {
    this.timeMs = timeMs;
    this.user = user;
  }
}
