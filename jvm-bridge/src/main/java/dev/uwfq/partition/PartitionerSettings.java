package dev.uwfq.partition;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.internal.SQLConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitioner's confs, read from the session's SQL conf at planning time (which starts from
 * the SparkConf), so {@code spark.conf.set("spark.uwfq.partitioner.enabled", "true")} switches it
 * for one session. A bad value warns once and the default is used.
 */
record PartitionerSettings(boolean enabled, long targetTaskMs, int maxTasks) {
  static final String ENABLED = "spark.uwfq.partitioner.enabled";
  static final String TARGET_TASK_MS = "spark.uwfq.partitioner.targetTaskMs";
  static final String MAX_TASKS = "spark.uwfq.partitioner.maxTasks";
  static final long DEFAULT_TARGET_TASK_MS = 500;
  static final int DEFAULT_MAX_TASKS = 1000;

  private static final Logger LOG = LoggerFactory.getLogger(PartitionerSettings.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  static PartitionerSettings from(SQLConf conf) {
    String enabled = conf.getConfString(ENABLED, "false").trim().toLowerCase(Locale.ROOT);
    boolean on = enabled.equals("true");
    if (!on && !enabled.equals("false")) {
      warn(ENABLED, enabled, "true or false", "false");
    }
    long target = positive(conf, TARGET_TASK_MS, DEFAULT_TARGET_TASK_MS);
    long max = positive(conf, MAX_TASKS, DEFAULT_MAX_TASKS);
    return new PartitionerSettings(on, target, (int) Math.min(max, 1_000_000));
  }

  private static long positive(SQLConf conf, String key, long defaultValue) {
    String raw = conf.getConfString(key, String.valueOf(defaultValue)).trim();
    try {
      long value = Long.parseLong(raw);
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // warned below
    }
    warn(key, raw, "a positive integer", String.valueOf(defaultValue));
    return defaultValue;
  }

  private static void warn(String key, String raw, String expected, String used) {
    if (WARNED.add(key + "=" + raw)) {
      LOG.warn("spark-uwfq: {}={} is not valid (expected {}); using {}", key, raw, expected, used);
    }
  }
}
