package dev.uwfq.history;

import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * The policy's failure count and FIFO fallback rounds, when either grew.
 * Posted to the listener bus off the scheduler lock (see StateChanges) and written to the event
 * log as JSON (Jackson, public fields), so the History Server's UWFQ tab can rebuild the state.
 */
public final class UwfqPolicyCounters implements SparkListenerEvent {
  public long timeMs;
  public long policyFailures;
  public long fallbackRounds;

  public UwfqPolicyCounters() {} // for Jackson, when the History Server reads the event log

  public UwfqPolicyCounters(long timeMs, long policyFailures, long fallbackRounds) {
    this.timeMs = timeMs;
    this.policyFailures = policyFailures;
    this.fallbackRounds = fallbackRounds;
  }
}
