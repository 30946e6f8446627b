package dev.uwfq.partition;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.SparkPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The physical-plan rule Spark calls: notes the query's input bytes and plan shape for the
 * scheduler (always),
 * then lets the partitioner shape the plan (when enabled). A failure never fails the query: the
 * plan goes on as Spark planned it, and the error is logged at most once a minute.
 */
final class PartitionerRule extends Rule<SparkPlan> {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionerRule.class);
  private static final AtomicLong LAST_ERROR_LOG = new AtomicLong(0);
  private final SparkSession session;
  private final Mode mode;

  /** Where Spark calls the rule from. */
  enum Mode {
    /** AQE's query-stage preparation: the whole plan, after EnsureRequirements. */
    ADAPTIVE,
    /** Before columnar transitions: the whole plan without AQE, each stage's plan with it. */
    COLUMNAR
  }

  PartitionerRule(org.apache.spark.sql.SparkSession session, Mode mode) {
    this.session = (SparkSession) session;
    this.mode = mode;
  }

  @Override
  public SparkPlan apply(SparkPlan plan) {
    try {
      QueryInputBytes.record(session.sparkContext(), plan);
    } catch (RuntimeException | LinkageError e) {
      logFailure("could not note a query's input bytes; its jobs' input size stays unknown", e);
    }
    try {
      dev.uwfq.identity.PlanShapes.record(session.sparkContext());
    } catch (RuntimeException | LinkageError e) {
      logFailure("could not note a query's plan shape; its jobs are keyed by call site", e);
    }
    try {
      // Shuffle counts must agree across a join, so they are set only where the rule sees the
      // whole plan: in AQE's preparation, or in the columnar pass when AQE is off.
      boolean shuffles = mode == Mode.ADAPTIVE
          || !session.sessionState().conf().adaptiveExecutionEnabled();
      return PlanPartitioner.apply(session, plan, shuffles);
    } catch (RuntimeException | LinkageError e) {
      logFailure("partitioner failed; the query keeps Spark's own partitioning", e);
      return plan;
    }
  }

  private static void logFailure(String what, Throwable e) {
    long now = System.currentTimeMillis();
    long last = LAST_ERROR_LOG.get();
    if (now - last > 60_000 && LAST_ERROR_LOG.compareAndSet(last, now)) {
      LOG.warn("spark-uwfq " + what, e);
    }
  }
}
