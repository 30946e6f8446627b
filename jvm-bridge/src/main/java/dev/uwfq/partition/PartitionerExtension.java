package dev.uwfq.partition;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.execution.ColumnarRule;
import org.apache.spark.sql.catalyst.rules.Rule;
import org.apache.spark.sql.execution.SparkPlan;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * Named in {@code spark.sql.extensions}. Adds the partitioner rule in both places a physical plan
 * can be shaped: AQE's query-stage preparation, and the columnar pass that also runs without AQE.
 * The rule notes each query's input bytes for the scheduler ({@link QueryInputBytes}) and
 * changes no plan unless {@code spark.uwfq.partitioner.enabled} is true. It also adds the check
 * rule that stops remote SQL clients from setting scheduling properties
 * ({@link dev.uwfq.connect.SetCommandGuard}).
 */
public final class PartitionerExtension extends AbstractFunction1<SparkSessionExtensions, BoxedUnit> {
  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    extensions.injectQueryStagePrepRule(new AbstractFunction1<>() {
      @Override
      public Rule<SparkPlan> apply(org.apache.spark.sql.SparkSession session) {
        return new PartitionerRule(session, PartitionerRule.Mode.ADAPTIVE);
      }
    });
    extensions.injectColumnar(new AbstractFunction1<>() {
      @Override
      public ColumnarRule apply(org.apache.spark.sql.SparkSession session) {
        Rule<SparkPlan> rule = new PartitionerRule(session, PartitionerRule.Mode.COLUMNAR);
        return new ColumnarRule() {
          @Override
          public Rule<SparkPlan> preColumnarTransitions() {
            return rule;
          }
        };
      }
    });
    extensions.injectCheckRule(new AbstractFunction1<>() {
      @Override
      public scala.Function1<org.apache.spark.sql.catalyst.plans.logical.LogicalPlan, BoxedUnit>
          apply(org.apache.spark.sql.SparkSession session) {
        return new dev.uwfq.connect.SetCommandGuard();
      }
    });
    return BoxedUnit.UNIT;
  }
}
