package dev.uwfq.identity;

import java.util.Map;
import java.util.Properties;
import java.util.WeakHashMap;
import java.util.regex.Pattern;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SQLExecution;
import scala.collection.Iterator;

/**
 * A query's default job key: the shape of its analyzed logical plan (operators, and its sources
 * without numbers or expression ids), so that a session's many kinds of queries are told apart
 * when nothing else names them (a Connect server describes every query of a session alike).
 *
 * <p>Computed by the SQL extension's rule on the query's planning thread and kept per
 * QueryExecution (weak keys, as {@code QueryInputBytes}); the scheduler finds it again from the
 * job's {@code spark.sql.execution.id} with one map lookup, never walking a plan under its lock.
 */
public final class PlanShapes {
  private static final Map<QueryExecution, String> BY_QUERY = new WeakHashMap<>();
  private static final Pattern NUMBERS = Pattern.compile("#?\\d+L?");
  private static final int MAX_NODES = 256;

  private PlanShapes() {}

  /** Notes the shape of the current execution's plan; on the query's planning thread. */
  public static void record(org.apache.spark.SparkContext sc) {
    QueryExecution query = queryOf(sc.getLocalProperty(SQLExecution.EXECUTION_ID_KEY()));
    if (query == null) {
      return;
    }
    synchronized (BY_QUERY) {
      if (BY_QUERY.containsKey(query)) {
        return;
      }
    }
    StringBuilder shape = new StringBuilder();
    append(query.analyzed(), shape, new int[] {0});
    String key = "plan:" + Integer.toHexString(shape.toString().hashCode())
        + Integer.toHexString(shape.reverse().toString().hashCode());
    synchronized (BY_QUERY) {
      BY_QUERY.put(query, key);
    }
  }

  /** The plan key of the query a job belongs to, or null when none was noted. */
  static String of(Properties props) {
    QueryExecution query = queryOf(props.getProperty(SQLExecution.EXECUTION_ID_KEY()));
    if (query == null) {
      return null;
    }
    synchronized (BY_QUERY) {
      return BY_QUERY.get(query);
    }
  }

  private static void append(LogicalPlan plan, StringBuilder out, int[] nodes) {
    if (nodes[0]++ >= MAX_NODES) {
      return;
    }
    out.append('(').append(plan.nodeName());
    if (plan.children().isEmpty()) {
      // A source: what it reads, not how much (range sizes, literals, expression ids).
      out.append(' ').append(NUMBERS.matcher(plan.simpleString(8)).replaceAll("N"));
    }
    Iterator<LogicalPlan> children = plan.children().iterator();
    while (children.hasNext()) {
      append(children.next(), out, nodes);
    }
    out.append(')');
  }

  private static QueryExecution queryOf(String executionId) {
    if (executionId == null) {
      return null;
    }
    try {
      return SQLExecution.getQueryExecution(Long.parseLong(executionId.trim()));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
