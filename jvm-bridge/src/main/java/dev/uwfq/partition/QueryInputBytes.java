package dev.uwfq.partition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.WeakHashMap;
import org.apache.spark.sql.catalyst.plans.QueryPlan;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SQLExecution;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import scala.collection.Iterator;

/**
 * The bytes each SQL query's file scans read, for the scheduler's estimates.
 *
 * <p>Recorded by the SQL extension's rules on the query's planning thread. Spark sets the query's
 * execution id ({@code spark.sql.execution.id}) and registers its QueryExecution before it plans
 * it, and every Spark job of the query carries that id in its properties, so the scheduler finds
 * the bytes again from a job's own properties: nothing thread-local or session-wide is written,
 * and concurrent queries of one session, or a later RDD job on the same thread, cannot see each
 * other's bytes. Keyed by the QueryExecution rather than the id, so that running the same
 * DataFrame again (a new id, a plan Spark does not prepare again) still finds them; the keys are
 * weak, so an entry goes when its query does. A plan prepared outside any execution (explain()
 * before the action, a cached relation) is not recorded: its jobs get -1, unknown.
 *
 * <p>A query's bytes are the sum over its distinct file scans (by canonical plan): the rules see
 * the same scan several times (AQE's preparation, then each stage, then its re-planning) and
 * subqueries as separate plans. Sources other than file scans add nothing.
 */
public final class QueryInputBytes {
  private static final Map<QueryExecution, Map<QueryPlan<?>, Long>> BY_QUERY = new WeakHashMap<>();

  private QueryInputBytes() {}

  /** Notes the file scans of {@code plan}, planned on this thread for the current execution. */
  static void record(org.apache.spark.SparkContext sc, SparkPlan plan) {
    QueryExecution query = queryOf(parseId(sc.getLocalProperty(SQLExecution.EXECUTION_ID_KEY())));
    if (query == null) {
      return;
    }
    List<FileSourceScanExec> scans = new ArrayList<>();
    collect(plan, scans);
    if (scans.isEmpty()) {
      return;
    }
    List<QueryPlan<?>> keys = new ArrayList<>(scans.size());
    for (FileSourceScanExec s : scans) {
      keys.add(s.canonicalized());
    }
    synchronized (BY_QUERY) {
      Map<QueryPlan<?>, Long> known = BY_QUERY.get(query);
      if (known != null && known.keySet().containsAll(keys)) {
        return; // the usual case after the first call: a stage, a re-planning
      }
    }
    // Outside the lock (the scheduler waits on it): the first call lists the files, Spark's own
    // lazy listing that the scan needs anyway; later calls on the same node reuse it.
    Map<QueryPlan<?>, Long> sizes = new HashMap<>();
    for (int i = 0; i < scans.size(); i++) {
      sizes.put(keys.get(i), Math.max(0, scans.get(i).selectedPartitions().totalFileSize()));
    }
    synchronized (BY_QUERY) {
      Map<QueryPlan<?>, Long> known = BY_QUERY.computeIfAbsent(query, q -> new HashMap<>());
      sizes.forEach(known::putIfAbsent);
    }
  }

  /** The input bytes of the query a Spark job belongs to, from the job's properties; -1: none. */
  public static long of(Properties jobProperties) {
    QueryExecution query = queryOf(executionId(jobProperties));
    if (query == null) {
      return -1;
    }
    synchronized (BY_QUERY) {
      Map<QueryPlan<?>, Long> known = BY_QUERY.get(query);
      if (known == null || known.isEmpty()) {
        return -1;
      }
      long sum = 0;
      for (long bytes : known.values()) {
        sum += bytes;
      }
      return sum;
    }
  }

  /** The SQL execution a Spark job belongs to, from its properties; -1: none. */
  public static long executionId(Properties jobProperties) {
    return jobProperties == null ? -1
        : parseId(jobProperties.getProperty(SQLExecution.EXECUTION_ID_KEY()));
  }

  /** Queries whose scans are remembered (weak keys: those whose QueryExecution is alive). */
  public static int size() {
    synchronized (BY_QUERY) {
      return BY_QUERY.size();
    }
  }

  private static long parseId(String executionId) {
    if (executionId == null) {
      return -1;
    }
    try {
      return Long.parseLong(executionId.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static QueryExecution queryOf(long executionId) {
    // Registered by SQLExecution.withNewExecutionId for as long as the query runs.
    return executionId < 0 ? null : SQLExecution.getQueryExecution(executionId);
  }

  /**
   * File scans not yet in a query stage (a stage's scans were seen when it was planned), except
   * those the partitioner already rewrote (their originals were recorded first).
   */
  private static void collect(SparkPlan plan, List<FileSourceScanExec> scans) {
    if (plan instanceof FileSourceScanExec s) {
      if (!s.relation().options().contains(PlanPartitioner.SPLIT_OPTION)) {
        scans.add(s);
      }
      return;
    }
    if (plan instanceof QueryStageExec) {
      return;
    }
    Iterator<SparkPlan> children = plan.children().iterator();
    while (children.hasNext()) {
      collect(children.next(), scans);
    }
  }
}
