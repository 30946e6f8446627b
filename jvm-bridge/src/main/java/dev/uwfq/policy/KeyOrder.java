package dev.uwfq.policy;

import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.Comparator;

/**
 * The launch order over one round's snapshot keys, with the deterministic tie-break every policy
 * shares (as Spark's SchedulingAlgorithm ends every comparison with one).
 */
final class KeyOrder {
  private KeyOrder() {}

  /** Keys (primary, secondary, tertiary) first, then: earlier logical job, earlier Spark job, earlier stage, earlier attempt. */
  static final Comparator<TaskSetView> BY_KEYS = (a, b) -> {
    int c = Double.compare(a.primary, b.primary);
    if (c != 0) {
      return c;
    }
    c = Double.compare(a.secondary, b.secondary);
    if (c != 0) {
      return c;
    }
    c = Double.compare(a.tertiary, b.tertiary);
    if (c != 0) {
      return c;
    }
    c = Long.compare(a.arrival, b.arrival);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.info.sparkJobId(), b.info.sparkJobId());
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.info.stageId(), b.info.stageId());
    return c != 0 ? c : Integer.compare(a.info.stageAttempt(), b.info.stageAttempt());
  };
}
