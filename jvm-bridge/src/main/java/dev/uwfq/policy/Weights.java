package dev.uwfq.policy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User weights: from {@code alice:2,bob:1}, or from a properties file of {@code user=weight}
 * lines that is re-read when it changes (its modification time is checked at most once a
 * second, at the caller's clock). Unknown users weigh 1. A bad entry is a warning naming it,
 * and the rest is kept; an unreadable file keeps the weights read before.
 */
public final class Weights {
  private static final Logger LOG = LoggerFactory.getLogger(Weights.class);
  private static final long CHECK_EVERY_MS = 1000;
  private volatile Map<String, Double> weights;
  private final Path file;
  private long lastCheckMs = Long.MIN_VALUE;
  private long fileMtime = Long.MIN_VALUE;

  private Weights(Map<String, Double> weights, Path file) {
    this.weights = weights;
    this.file = file;
  }

  public static Weights uniform() {
    return new Weights(Map.of(), null);
  }

  /** {@code spec} like "alice:2,bob:1"; {@code file} overrides it when set. */
  public static Weights of(String spec, String file) {
    Weights w = new Weights(parse(spec, "spark.uwfq.weights"), blank(file) ? null : Paths.get(file.trim()));
    w.refresh(0);
    return w;
  }

  // Not an overload of the static of(): py4j cannot call a static method whose name an instance
  // method shares.
  public double weightOf(String user) {
    Double w = weights.get(user);
    return w == null ? 1.0 : w;
  }

  /** Re-reads the weights file when it changed since the last look (at most once a second). */
  public boolean refresh(long nowMs) {
    if (file == null || (lastCheckMs != Long.MIN_VALUE && nowMs - lastCheckMs < CHECK_EVERY_MS)) {
      return false;
    }
    lastCheckMs = nowMs;
    try {
      long mtime = Files.getLastModifiedTime(file).toMillis();
      if (mtime == fileMtime) {
        return false;
      }
      fileMtime = mtime;
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(file)) {
        p.load(r);
      }
      StringBuilder spec = new StringBuilder();
      for (String user : p.stringPropertyNames()) {
        spec.append(user).append(':').append(p.getProperty(user)).append(',');
      }
      weights = parse(spec.toString(), "spark.uwfq.weightsFile " + file);
      LOG.info("spark-uwfq: read {} user weights from {}", weights.size(), file);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("spark-uwfq: cannot read the weights file {} ({}); keeping the weights read before",
          file, e.toString());
      return false;
    }
  }

  /** Parses "alice:2,bob:1"; bad entries are warned about and skipped. */
  public static Map<String, Double> parse(String spec, String source) {
    Map<String, Double> out = new HashMap<>();
    if (blank(spec)) {
      return out;
    }
    for (String part : spec.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      int colon = item.lastIndexOf(':');
      String user = colon > 0 ? item.substring(0, colon).trim() : "";
      double weight = Double.NaN;
      try {
        weight = colon > 0 ? Double.parseDouble(item.substring(colon + 1).trim()) : Double.NaN;
      } catch (NumberFormatException ignored) {
        // reported below
      }
      if (user.isEmpty() || !(weight > 0) || Double.isInfinite(weight)) {
        LOG.warn("spark-uwfq: {}: ignoring '{}' (expected user:weight with a positive weight); "
            + "that user weighs 1", source, item);
        continue;
      }
      out.put(user, weight);
    }
    return out;
  }

  public Map<String, Double> snapshot() {
    return Map.copyOf(weights);
  }

  private static boolean blank(String s) {
    return s == null || s.trim().isEmpty();
  }
}
