package dev.uwfq.partition;

import dev.uwfq.identity.CostHint;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * Where the partitioner gets a job's cost. In order: an explicit task count
 * ({@code uwfq.targetTasks}), the caller's hint ({@code uwfq.costHintMs}), then whatever
 * {@link Source} the scheduler installs (its learned estimator).
 */
public final class JobEstimates {
  public static final String TARGET_TASKS = "uwfq.targetTasks";
  public static final String COST_HINT_MS = "uwfq.costHintMs";

  /**
   * A cost estimator the scheduler plugs in. Called on the query's planning thread, with the
   * job's local properties and the bytes its file scans will read (-1 when it reads no files).
   * Return empty when it knows nothing about the job: a made-up default must not reshape a job.
   */
  public interface Source {
    OptionalLong estimateMs(Properties jobProperties, long inputBytes);
  }

  /** A job's cost, or an explicit count, and where it came from. */
  public record Estimate(String source, long estimateMs, long requestedTasks) {}

  private static volatile Source source = null;

  private JobEstimates() {}

  /** Install (or, with null, remove) the estimator consulted after explicit requests and hints. */
  public static void setSource(Source s) {
    source = s;
  }

  /** The job's estimate, or null when there is none (the job is then left alone). */
  static Estimate lookup(Properties props, long inputBytes) {
    long tasks = positive(props.getProperty(TARGET_TASKS));
    if (tasks > 0) {
      return new Estimate("targetTasks", -1, tasks);
    }
    long hint = CostHint.parse(props.getProperty(COST_HINT_MS));
    if (hint > 0) {
      return new Estimate("hint", hint, -1);
    }
    Source s = source;
    if (s != null) {
      OptionalLong ms = s.estimateMs(props, inputBytes);
      if (ms.isPresent() && ms.getAsLong() > 0) {
        return new Estimate("estimator", ms.getAsLong(), -1);
      }
    }
    return null;
  }

  /** A count of at least 1 ("12.0" is 12); anything else is none (-1). */
  private static long positive(String text) {
    if (text == null || text.isBlank()) {
      return -1;
    }
    try {
      double value = Double.parseDouble(text.trim());
      return value >= 1 && value < Long.MAX_VALUE ? (long) value : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
