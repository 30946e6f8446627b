package dev.uwfq;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one lenient reader of {@link Settings}, as Spark's own SchedulableBuilder reads its
 * confs: a bad value logs a warning naming the key, the value and the expected range (once per
 * key and value), and the default is used. Numbers come back within their bounds, never NaN.
 */
public final class UwfqConf {
  private static final Logger LOG = LoggerFactory.getLogger(UwfqConf.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
  private static final int MAX_SHOWN = 200;
  private final Function<String, String> lookup;

  public UwfqConf(SparkConf conf) {
    this(key -> conf.get(key, null));
  }

  /** {@code lookup} gives a key's raw value, or null when it is not set. */
  public UwfqConf(Function<String, String> lookup) {
    this.lookup = lookup;
  }

  public String string(Setting s) {
    String raw = raw(s);
    return raw == null ? s.defaultValue() : raw;
  }

  /** An integer within the setting's bounds. */
  public long integer(Setting s) {
    String raw = raw(s);
    if (raw == null) {
      return s.defaultLong();
    }
    try {
      long value = Long.parseLong(raw);
      if (value >= s.min() && value <= s.max()) {
        return value;
      }
    } catch (NumberFormatException ignored) {
      // warned below
    }
    warn(s, raw);
    return s.defaultLong();
  }

  /** A finite number within the setting's bounds. */
  public double number(Setting s) {
    String raw = raw(s);
    double fallback = Double.parseDouble(s.defaultValue());
    if (raw == null) {
      return fallback;
    }
    try {
      double value = Double.parseDouble(raw);
      if (value >= s.min() && value <= s.max()) { // false for NaN
        return value;
      }
    } catch (NumberFormatException ignored) {
      // warned below
    }
    warn(s, raw);
    return fallback;
  }

  public boolean flag(Setting s) {
    String raw = raw(s);
    if (raw == null) {
      return Boolean.parseBoolean(s.defaultValue());
    }
    String value = raw.toLowerCase(Locale.ROOT);
    if (value.equals("true") || value.equals("false")) {
      return value.equals("true");
    }
    warn(s, raw);
    return Boolean.parseBoolean(s.defaultValue());
  }

  /** One of the setting's choices (case-insensitive). */
  public String choice(Setting s) {
    String raw = raw(s);
    if (raw == null) {
      return s.defaultValue();
    }
    String value = raw.toLowerCase(Locale.ROOT);
    if (s.choices().contains(value)) {
      return value;
    }
    warn(s, raw);
    return s.defaultValue();
  }

  private String raw(Setting s) {
    String raw = lookup.apply(s.key());
    return raw == null || raw.isBlank() ? null : raw.trim();
  }

  /**
   * A new application starts in this JVM: its log names each bad value again (the once-per-key
   * and value rule is per application, not per JVM).
   */
  static void newApplication() {
    WARNED.clear();
  }

  private static void warn(Setting s, String raw) {
    // A 10 KB value is shown (and remembered) by its head and length.
    String shown = raw.length() <= MAX_SHOWN ? raw
        : raw.substring(0, MAX_SHOWN) + "... (" + raw.length() + " characters)";
    if (WARNED.size() < 10_000 && WARNED.add(s.key() + '=' + shown)) {
      LOG.warn("spark-uwfq: {}={} is not valid (expected {}); using {}", s.key(), shown,
          s.expected(), s.defaultValue());
    }
  }
}
