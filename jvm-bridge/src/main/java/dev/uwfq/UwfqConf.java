package dev.uwfq;

import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lenient reading of spark.uwfq.* confs, as Spark's own SchedulableBuilder does: a bad value
 * logs a warning naming the key, the value and what was expected, and the default is used.
 */
public final class UwfqConf {
  private static final Logger LOG = LoggerFactory.getLogger(UwfqConf.class);
  private final SparkConf conf;

  public UwfqConf(SparkConf conf) {
    this.conf = conf;
  }

  public String getString(String key, String defaultValue) {
    String value = conf.get(key, defaultValue);
    return value == null || value.trim().isEmpty() ? defaultValue : value.trim();
  }

  /** An integer of at least {@code min}; anything else warns and gives {@code defaultValue}. */
  public long getLong(String key, long defaultValue, long min) {
    String raw = conf.get(key, null);
    if (raw == null || raw.trim().isEmpty()) {
      return defaultValue;
    }
    try {
      long value = Long.parseLong(raw.trim());
      if (value >= min) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the warning
    }
    LOG.warn("spark-uwfq: {}={} is not valid (expected an integer >= {}); using {}",
        key, raw, min, defaultValue);
    return defaultValue;
  }

  /** A number in [min, max]; anything else (NaN, infinite, out of range) warns and gives the default. */
  public double getDouble(String key, double defaultValue, double min, double max) {
    String raw = conf.get(key, null);
    if (raw == null || raw.trim().isEmpty()) {
      return defaultValue;
    }
    try {
      double value = Double.parseDouble(raw.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the warning
    }
    LOG.warn("spark-uwfq: {}={} is not valid (expected a number in [{}, {}]); using {}",
        key, raw, min, max, defaultValue);
    return defaultValue;
  }

  /** true or false (case-insensitive); anything else warns and gives the default. */
  public boolean getBoolean(String key, boolean defaultValue) {
    return Boolean.parseBoolean(getChoice(key, Boolean.toString(defaultValue), "true", "false"));
  }

  /** One of {@code allowed} (case-insensitive); anything else warns and gives the default. */
  public String getChoice(String key, String defaultValue, String... allowed) {
    String raw = conf.get(key, null);
    if (raw == null || raw.trim().isEmpty()) {
      return defaultValue;
    }
    String value = raw.trim().toLowerCase(java.util.Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(value)) {
        return value;
      }
    }
    LOG.warn("spark-uwfq: {}={} is not valid (expected one of {}); using {}",
        key, raw, String.join(", ", allowed), defaultValue);
    return defaultValue;
  }
}
