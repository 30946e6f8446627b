package dev.uwfq.partition;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Numbers the queries of each logical job ({@code uwfq.job} block) in the order they are
 * planned. A cost hint covers the whole block, which may run any number of queries (a replayed
 * trace runs up to ~200 at once under one job): a block that has planned its k-th query has at
 * least k, so an even split gives each query at most hint / k. AQE plans one query several times;
 * all of them get the query's first number.
 */
final class BlockQueries {
  private static final int JOBS_KEPT = 4096;
  private static final int QUERIES_KEPT_PER_JOB = 4096;

  private static final Map<String, Map<String, Integer>> JOBS =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Map<String, Integer>> eldest) {
          return size() > JOBS_KEPT;
        }
      };

  private BlockQueries() {}

  /**
   * 1 for a job's first query, k for its k-th. Without a job id or a query (execution) id the
   * query cannot be told apart from its siblings, so it counts as the first.
   */
  static int ordinal(String jobId, String executionId) {
    if (jobId == null || jobId.isEmpty() || executionId == null || executionId.isEmpty()) {
      return 1;
    }
    synchronized (JOBS) {
      Map<String, Integer> queries = JOBS.computeIfAbsent(jobId, k -> new HashMap<>());
      Integer known = queries.get(executionId);
      if (known != null) {
        return known;
      }
      int next = queries.size() + 1;
      if (queries.size() < QUERIES_KEPT_PER_JOB) {
        queries.put(executionId, next);
      }
      return next;
    }
  }
}
