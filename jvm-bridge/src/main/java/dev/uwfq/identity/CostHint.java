package dev.uwfq.identity;

/**
 * The one rule for a cost hint ({@code uwfq.costHintMs}, the caller's estimate of a whole logical
 * job in core-milliseconds), used by the scheduler and the partitioner alike: a finite number
 * from 1 to {@value #MAX_MS}, its fraction dropped ("1234.0", as callers that format floats send
 * it, is 1234). Anything else (blank, text, 0, negative, NaN, infinite, larger) is no hint.
 */
public final class CostHint {
  /** About 31 core-years: larger is no estimate anyone made. */
  public static final double MAX_MS = 1e12;

  private CostHint() {}

  /** The hint in core-ms, or -1 when {@code text} is no valid hint. */
  public static long parse(String text) {
    if (text == null || text.isBlank()) {
      return -1;
    }
    try {
      double value = Double.parseDouble(text.trim());
      return value >= 1 && value <= MAX_MS ? (long) value : -1; // false for NaN
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
