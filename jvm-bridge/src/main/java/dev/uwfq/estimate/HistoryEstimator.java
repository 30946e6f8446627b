package dev.uwfq.estimate;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hint first, else the history of completed jobs, from the most specific level that has any:
 *
 * <ol>
 *   <li>the same user and key ("user-key"): the same recurring job of the same user;
 *   <li>the same key, any user ("key"): a kind of job is more telling than who runs it;
 *   <li>the same user, any key ("user"): users keep to a scale (a trace user's jobs are all
 *       seconds, or all minutes);
 *   <li>the last {@value #RECENT} completed jobs of the application ("recent"): the cold start
 *       of a never-seen user and key is a typical job of this application, not a fixed guess;
 *   <li>the configured default ("default"), only until the first job completes.
 * </ol>
 *
 * Each level keeps exponentially weighted means of the log of the cost (a geometric mean: one
 * 100x outlier moves it by 100^0.3, not by 30x the typical cost), of the cost per input byte and
 * of the cost per task. A key's history is its job's cost, scaled by input bytes when both are
 * known. The user and recent levels stand for other kinds of jobs, so their typical cost per
 * task is scaled by this job's task count, the one size a never-seen job shows at submission
 * (without the partitioner, a scan's task count follows its input size). The recent level uses
 * medians, as robust as it gets for a mix of unrelated jobs. The scheduler refines the estimate
 * from task times while the job runs (JobBook). The table is bounded (least recently used
 * entries are forgotten) so a long-running application stays small. Thread-safe: the scheduler
 * and the partitioner (on query planning threads) both consult it.
 */
public final class HistoryEstimator implements CostEstimator {
  private static final double ALPHA = 0.3; // weight of the newest observation
  static final int RECENT = 64;
  /** A key whose log cost varies more (sd 0.5: jobs 1.65x apart) is no kind of job. */
  static final double MAX_KEY_LOG_VAR = 0.25;
  /**
   * The cold start takes the recent jobs' lower quintile, not their median: a never-seen job is
   * first assumed small, as a fair share would treat it, and the scheduler's refinement from its
   * running tasks corrects a big one within its first tasks; assuming it big would hold back
   * the many small ones behind jobs already running (trace DVR 1.15 with the upper quartile,
   * 0.45 with the lower quintile, simulated).
   */
  static final double COLD_START_QUANTILE = 0.2;
  private final double defaultMs;
  private final int maxEntries;
  private final Map<String, Level> history;
  private final double[] recentMs = new double[RECENT];
  private final double[] recentMsPerTask = new double[RECENT]; // NaN: task count unknown
  private int recentCount;
  private int recentNext;

  private static final class Level {
    double logMs;
    double logVar; // exponentially weighted variance of the log of the cost
    double logMsPerByte = Double.NaN; // NaN until a job with a known input size completed
    double logMsPerTask = Double.NaN; // NaN until a job with a known task count completed
    long samples;

    void add(double ms, long inputBytes, long tasks) {
      double log = Math.log(Math.max(1.0, ms));
      if (samples == 0) {
        logMs = log;
      } else { // West's weighted mean and variance
        double diff = log - logMs;
        logMs += ALPHA * diff;
        logVar = (1 - ALPHA) * (logVar + ALPHA * diff * diff);
      }
      if (inputBytes > 0) {
        logMsPerByte = ewma(logMsPerByte, log - Math.log(inputBytes));
      }
      if (tasks > 0) {
        logMsPerTask = ewma(logMsPerTask, log - Math.log(tasks));
      }
      samples++;
    }

    private static double ewma(double mean, double x) {
      return Double.isNaN(mean) ? x : (1 - ALPHA) * mean + ALPHA * x;
    }
  }

  /** {@code maxEntries} bounds the remembered (user, key), key and user levels together. */
  public HistoryEstimator(double defaultMs, int maxEntries) {
    this.defaultMs = defaultMs;
    this.maxEntries = maxEntries;
    this.history = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Level> eldest) {
        return size() > HistoryEstimator.this.maxEntries;
      }
    };
  }

  @Override
  public synchronized Estimate estimate(String user, String key, long hintMs, long inputBytes,
      long tasks) {
    if (hintMs > 0) {
      return new Estimate(hintMs, "hint");
    }
    String[] names = {"user-key", "key", "user"};
    String[] ids = {userKeyId(user, key), keyId(key), userId(user)};
    for (int i = 0; i < ids.length; i++) {
      Level level = ids[i] == null ? null : history.get(ids[i]);
      if (level == null || (i < 2 && level.logVar > MAX_KEY_LOG_VAR)) {
        continue; // a key whose jobs differ by more than e-fold is no kind of job
      }
      if (inputBytes > 0 && !Double.isNaN(level.logMsPerByte)) {
        return estimate(Math.exp(level.logMsPerByte) * inputBytes, names[i] + "-bytes");
      }
      if (i == 2 && tasks > 0 && !Double.isNaN(level.logMsPerTask)) {
        return estimate(Math.exp(level.logMsPerTask) * tasks, "user-tasks");
      }
      return estimate(Math.exp(level.logMs), names[i]);
    }
    if (recentCount > 0) {
      double perTask = coldStart(recentMsPerTask);
      return tasks > 0 && !Double.isNaN(perTask)
          ? estimate(perTask * tasks, "recent-tasks")
          : estimate(coldStart(recentMs), "recent");
    }
    return new Estimate(defaultMs, "default");
  }

  @Override
  public synchronized void onJobCompleted(String user, String key, double coreMs, long inputBytes,
      long tasks) {
    if (!(coreMs >= 0) || Double.isInfinite(coreMs)) {
      return;
    }
    for (String id : new String[] {userKeyId(user, key), keyId(key), userId(user)}) {
      if (id != null) {
        history.computeIfAbsent(id, k -> new Level()).add(coreMs, inputBytes, tasks);
      }
    }
    recentMs[recentNext] = coreMs;
    recentMsPerTask[recentNext] = tasks > 0 ? coreMs / tasks : Double.NaN;
    recentNext = (recentNext + 1) % RECENT;
    recentCount = Math.min(RECENT, recentCount + 1);
  }

  private static Estimate estimate(double ms, String source) {
    return new Estimate(Math.max(1.0, ms), source);
  }

  /** The recent values' {@link #COLD_START_QUANTILE} quantile, of those known (NaN: none). */
  private double coldStart(double[] values) {
    double[] known = Arrays.stream(values, 0, recentCount).filter(v -> !Double.isNaN(v)).sorted()
        .toArray();
    int n = known.length;
    if (n == 0) {
      return Double.NaN;
    }
    return known[(int) Math.min(n - 1, Math.floor(COLD_START_QUANTILE * n))];
  }

  private static String userKeyId(String user, String key) {
    return user == null || key == null ? null : "uk\u0000" + user + "\u0000" + key;
  }

  private static String keyId(String key) {
    return key == null ? null : "k\u0000" + key;
  }

  private static String userId(String user) {
    return user == null ? null : "u\u0000" + user;
  }

  /** Number of history entries remembered (bounded by maxEntries). */
  public synchronized int size() {
    return history.size();
  }
}
