package dev.uwfq.spark;

import dev.uwfq.partition.QueryInputBytes;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * A logical job's input bytes so far: the sum over the SQL queries (executions) its Spark jobs
 * belonged to, each query's bytes as the SQL extension noted them ({@link QueryInputBytes}). A
 * job group of several queries is costed by all it read, and a leading job without input (a
 * parquet schema inference, an RDD step) does not hide the bytes of the queries after it.
 * Without a logical job id each Spark job is its own logical job and gets its query's bytes.
 *
 * <p>Called under the scheduler lock only. Bounded: the least recently submitted logical jobs
 * are forgotten past {@value #MAX_JOBS} (the policy keeps the largest total it was given), and a
 * job's queries are folded into one sum past {@value #MAX_QUERIES_PER_JOB}.
 */
final class JobInputs {
  static final int MAX_JOBS = 1024;
  static final int MAX_QUERIES_PER_JOB = 256;

  private static final class Queries {
    final Map<Long, Long> bytesByExecution = new HashMap<>();
    long folded; // of queries no longer told apart
  }

  private final Map<String, Queries> jobs = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Queries> eldest) {
      return size() > MAX_JOBS;
    }
  };

  /** The input bytes of the logical job this task set belongs to, so far; -1 when unknown. */
  long of(String user, String logicalJob, Properties properties) {
    long query;
    long execution;
    try {
      query = QueryInputBytes.of(properties);
      execution = QueryInputBytes.executionId(properties);
    } catch (RuntimeException | LinkageError e) {
      return -1; // Spark SQL missing or changed: the scheduler goes on without input sizes
    }
    if (logicalJob == null) {
      return query;
    }
    String id = user + '\u0000' + logicalJob;
    Queries q = jobs.get(id);
    if (query >= 0) {
      if (q == null) {
        q = new Queries();
        jobs.put(id, q);
      }
      if (q.bytesByExecution.size() >= MAX_QUERIES_PER_JOB
          && !q.bytesByExecution.containsKey(execution)) {
        for (long bytes : q.bytesByExecution.values()) {
          q.folded += bytes;
        }
        q.bytesByExecution.clear();
      }
      q.bytesByExecution.put(execution, query);
    }
    if (q == null) {
      return -1;
    }
    long sum = q.folded;
    for (long bytes : q.bytesByExecution.values()) {
      sum += bytes;
    }
    return sum;
  }
}
