package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * Users' entitled shares of the cores (fraction of all cores) changed; the users whose share changed.
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqSharesChanged implements SparkListenerEvent {
  public long timeMs;
  public java.util.Map<String, Double> shares;

  public UwfqSharesChanged() {} // for Jackson, when the History Server reads the event log

  public UwfqSharesChanged(long timeMs, java.util.Map<String, Double> shares) {
    this.timeMs = timeMs;
    this.shares = shares;
  }
}
