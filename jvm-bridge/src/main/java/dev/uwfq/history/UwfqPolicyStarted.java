package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * The scheduling policy of the application, its cores and the spark.uwfq.* settings as set.
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqPolicyStarted implements SparkListenerEvent {
  public long timeMs;
  public String policy;
  public int cores;
  public java.util.Map<String, String> settings;

  public UwfqPolicyStarted() {} // for Jackson, when the History Server reads the event log

  public UwfqPolicyStarted(long timeMs, String policy, int cores, java.util.Map<String,
      String> settings) {
    this.timeMs = timeMs;
    this.policy = policy;
    this.cores = cores;
    this.settings = settings;
  }
}
