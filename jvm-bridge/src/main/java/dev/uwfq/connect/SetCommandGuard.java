package dev.uwfq.connect;

import dev.uwfq.identity.ProtectedKeys;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.command.SetCommand;
import scala.Option;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;
import scala.runtime.BoxedUnit;

/**
 * A check rule of the SQL extension: SQL {@code SET key=value} of a scheduling property
 * ({@link ProtectedKeys}), or a bad value of the plugin's session channel, fails the statement
 * with a message. It covers every remote SQL client alike (Spark Connect, Thrift server, Kyuubi);
 * in-process code sets confs through {@code spark.conf} and is trusted anyway.
 */
public final class SetCommandGuard extends AbstractFunction1<LogicalPlan, BoxedUnit> {
  @Override
  public BoxedUnit apply(LogicalPlan plan) {
    if (plan instanceof SetCommand set && set.kv().isDefined()) {
      Tuple2<String, Option<String>> kv = set.kv().get();
      if (kv._2().isDefined()) {
        String problem = ProtectedKeys.problem(kv._1(), kv._2().get());
        if (problem != null) {
          throw new IllegalArgumentException("spark-uwfq: " + problem);
        }
      }
    }
    return BoxedUnit.UNIT;
  }
}
