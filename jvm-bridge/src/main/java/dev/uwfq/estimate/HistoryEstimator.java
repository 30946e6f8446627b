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
 * from task times while the job runs (dev.uwfq.policy.EstimateTracker). The table is bounded (least recently used
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
   * the many small ones behind jobs already running (docs/estimator-evaluation.md).
   */
  static final double COLD_START_QUANTILE = 0.2;
  private final double defaultMs;
  private final int maxEntries;
  private final Map<String, Level> history;
  // The last RECENT jobs that ended, as a ring (slot order, not age order, is what is read).
  private final RecentJob[] recent = new RecentJob[RECENT];
  private int recentCount;
  private int recentNext;

  /** A job that ended: its cost and its task count (<= 0: unknown). */
  private record RecentJob(double coreMs, long tasks) {}

  /** A level of history to look up for a job, and its entry's id (null: the job has none). */
  private record Lookup(EstimateLevel level, String id) {
    /** A key's levels stand for this kind of job; the user level for other kinds. */
    boolean ofKey() {
      return level != EstimateLevel.USER;
    }
  }

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
      return new Estimate(hintMs, EstimateLevel.HINT);
    }
    Lookup[] lookups = {
        new Lookup(EstimateLevel.USER_KEY, userKeyId(user, key)),
        new Lookup(EstimateLevel.KEY, keyId(key)),
        new Lookup(EstimateLevel.USER, userId(user))};
    for (Lookup lookup : lookups) {
      Level level = lookup.id() == null ? null : history.get(lookup.id());
      if (level == null || (lookup.ofKey() && level.logVar > MAX_KEY_LOG_VAR)) {
        continue; // a key whose jobs differ by more than e-fold is no kind of job
      }
      if (lookup.ofKey() && inputBytes > 0 && !Double.isNaN(level.logMsPerByte)) {
        return estimate(Math.exp(level.logMsPerByte) * inputBytes, lookup.level(),
            EstimateScaling.BYTES);
      }
      if (!lookup.ofKey() && tasks > 0 && !Double.isNaN(level.logMsPerTask)) {
        return estimate(Math.exp(level.logMsPerTask) * tasks, lookup.level(), EstimateScaling.TASKS);
      }
      return estimate(Math.exp(level.logMs), lookup.level(), EstimateScaling.NONE);
    }
    if (recentCount > 0) {
      double fitted = tasks > 0 ? coldStartByTasks(tasks) : Double.NaN;
      if (Double.isNaN(fitted)) {
        double[] costs = new double[recentCount];
        for (int i = 0; i < recentCount; i++) {
          costs[i] = recent[i].coreMs();
        }
        return estimate(lowerQuantile(costs), EstimateLevel.RECENT, EstimateScaling.NONE);
      }
      return estimate(fitted, EstimateLevel.RECENT, EstimateScaling.TASKS);
    }
    return new Estimate(defaultMs, EstimateLevel.DEFAULT);
  }

  @Override
  public synchronized boolean keyVaries(String key) {
    Level level = key == null ? null : history.get(keyId(key));
    return level != null && level.logVar > MAX_KEY_LOG_VAR;
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
  }

  @Override
  public synchronized void onJobEnded(double coreMs, long tasks) {
    if (!(coreMs >= 0) || Double.isInfinite(coreMs)) {
      return;
    }
    recent[recentNext] = new RecentJob(coreMs, tasks);
    recentNext = (recentNext + 1) % RECENT;
    recentCount = Math.min(RECENT, recentCount + 1);
  }

  private static Estimate estimate(double ms, EstimateLevel level, EstimateScaling scaling) {
    return new Estimate(Math.max(1.0, ms), level, scaling);
  }

  /**
   * A never-seen job's cost from its task count, by the recent jobs': log cost is fitted as a
   * line in log task count, and the prediction is shifted down to the residuals' {@link
   * #COLD_START_QUANTILE} quantile. The slope is shrunk towards 1 (cost per task) by
   * {@link #SLOPE_PRIOR}, so recent jobs of one task count give the old rule: the lower
   * quintile per task, times the tasks. Fitted, because cost is not proportional to tasks where
   * a partitioner gives small jobs a floor of tasks (the paper's 4 + 1.83 per second): per
   * task, the small jobs that fill the recent window make a large job look several times
   * smaller. NaN when no recent job knew its task count.
   */
  private double coldStartByTasks(long tasks) {
    int n = 0;
    double[] x = new double[recentCount];
    double[] y = new double[recentCount];
    for (int i = 0; i < recentCount; i++) {
      RecentJob job = recent[i];
      if (job.tasks() > 0) {
        x[n] = Math.log(job.tasks());
        y[n] = Math.log(Math.max(1.0, job.coreMs()));
        n++;
      }
    }
    if (n == 0) {
      return Double.NaN;
    }
    double meanX = 0;
    double meanY = 0;
    for (int i = 0; i < n; i++) {
      meanX += x[i] / n;
      meanY += y[i] / n;
    }
    double varX = 0;
    double cov = 0;
    for (int i = 0; i < n; i++) {
      varX += (x[i] - meanX) * (x[i] - meanX) / n;
      cov += (x[i] - meanX) * (y[i] - meanY) / n;
    }
    double slope = Math.max(0, Math.min(2, (cov + SLOPE_PRIOR) / (varX + SLOPE_PRIOR)));
    double[] residuals = new double[n];
    for (int i = 0; i < n; i++) {
      residuals[i] = y[i] - meanY - slope * (x[i] - meanX);
    }
    return Math.exp(meanY + slope * (Math.log(tasks) - meanX) + lowerQuantile(residuals));
  }

  /**
   * Weight of the prior slope 1, as a variance of log task count: task counts spread less than
   * about 1.4x leave the slope near 1, a spread of 10x and more lets the data speak.
   */
  static final double SLOPE_PRIOR = 0.1;

  /** The {@link #COLD_START_QUANTILE} quantile of {@code values} (sorted in place). */
  private static double lowerQuantile(double[] values) {
    Arrays.sort(values);
    return values[(int) Math.min(values.length - 1, Math.floor(COLD_START_QUANTILE * values.length))];
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
