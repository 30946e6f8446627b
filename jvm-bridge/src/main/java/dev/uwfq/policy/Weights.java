package dev.uwfq.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User weights: from {@code alice:2,bob:1}, or from a properties file of {@code user=weight}
 * lines that overrides them. Unknown users weigh 1. Readers see one immutable snapshot, swapped
 * whole, so a lookup on Spark's scheduling path never waits and never sees half a file.
 *
 * <p>A weight is bounded to [{@link #MIN_WEIGHT}, {@link #MAX_WEIGHT}]: a user is charged run
 * time / weight, so a weight like 1e-308 makes virtual time infinite after one task. A value
 * outside is clamped, with a warning. In the spec a bad entry (not a positive number) is a
 * warning naming it, and that user weighs 1.
 *
 * <p>The file is read only by {@link #reload()}, which may block (a hung mount) and so is never
 * called on the scheduling path: the plugin calls it from a background thread. A file that is
 * missing, empty, larger than {@link #MAX_FILE_BYTES}, or has any line that is not
 * {@code user=positive number} (a half-written file) is a warning, and the last good weights stay.
 */
public final class Weights {
  private static final Logger LOG = LoggerFactory.getLogger(Weights.class);
  public static final double MIN_WEIGHT = 1e-3;
  public static final double MAX_WEIGHT = 1e3;
  static final int MAX_FILE_BYTES = 1 << 20;
  private volatile Map<String, Double> weights;
  // The file's user.maxShare / user.minShare lines (ShareLimits reads them), swapped whole.
  private volatile Map<String, String> fileLimits = Map.of();
  private final Path file;
  // Reader thread only: what the file held at the last look, so that each change is parsed and
  // warned about once.
  private byte[] lastContent;
  private String lastProblem;

  private Weights(Map<String, Double> weights, Path file) {
    this.weights = Map.copyOf(weights);
    this.file = file;
  }

  public static Weights uniform() {
    return new Weights(Map.of(), null);
  }

  /**
   * {@code spec} like "alice:2,bob:1"; {@code file}, when set, overrides it once {@link #reload()}
   * has read it.
   */
  public static Weights of(String spec, String file) {
    return new Weights(parse(spec, "spark.uwfq.weights"), blank(file) ? null : Paths.get(file.trim()));
  }

  // Not an overload of the static of(): py4j cannot call a static method whose name an instance
  // method shares.
  public double weightOf(String user) {
    Double w = weights.get(user);
    return w == null ? 1.0 : w;
  }

  /** The weights file, or null. */
  public Path file() {
    return file;
  }

  /**
   * Kept for callers on the scheduling path from before the file was read in the background:
   * does nothing (the file is read by {@link #reload()} on the plugin's reader thread).
   */
  public boolean refresh(long nowMs) {
    return false;
  }

  /**
   * Reads the weights file and swaps in its weights when its content changed and is good; a
   * problem is warned about once per content. Blocking I/O: call it off the scheduling path.
   * Returns true when new weights were swapped in.
   */
  public boolean reload() {
    if (file == null) {
      return false;
    }
    byte[] content;
    try {
      content = readBounded(file);
    } catch (NoSuchFileException e) {
      return problem(null, "it does not exist (deleted?)");
    } catch (IOException | RuntimeException e) {
      return problem(null, "it cannot be read: " + e);
    }
    if (content == null) {
      return problem(null, "it is larger than " + MAX_FILE_BYTES + " bytes");
    }
    if (lastContent != null && Arrays.equals(content, lastContent)) {
      return false;
    }
    lastContent = content;
    String text = new String(content, StandardCharsets.UTF_8);
    Map<String, Double> parsed = new HashMap<>();
    Map<String, String> limits = new HashMap<>();
    String bad = parseFile(text, parsed, limits);
    if (bad != null) {
      return problem(content, bad);
    }
    weights = Map.copyOf(parsed);
    fileLimits = Map.copyOf(limits);
    lastProblem = null;
    LOG.info("spark-uwfq: read {} user weights from {}", parsed.size(), file);
    return true;
  }

  private boolean problem(byte[] content, String what) {
    lastContent = content;
    if (!what.equals(lastProblem)) {
      LOG.warn("spark-uwfq: weights file {} (spark.uwfq.weightsFile): {}; keeping the {} "
          + "weights read before (write the file whole, one user=weight line per user, then "
          + "rename it into place)", file, what, weights.size());
      lastProblem = what;
    }
    return false;
  }

  /**
   * Parses a properties file into {@code out}, and its share-limit lines ({@link
   * ShareLimits#isLimitKey}) into {@code limits}; returns what is wrong with it, or null.
   */
  static String parseFile(String text, Map<String, Double> out, Map<String, String> limits) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      return "it is not a properties file (" + e.getMessage() + ")";
    }
    if (p.isEmpty()) {
      return "it has no user=weight line (empty or half-written?)";
    }
    for (String user : p.stringPropertyNames()) {
      String raw = p.getProperty(user).trim();
      if (ShareLimits.isLimitKey(user.trim())) {
        limits.put(user.trim(), raw);
        continue;
      }
      double w = number(raw);
      if (user.trim().isEmpty() || !(w > 0)) {
        return "line '" + user + "=" + raw + "' is not user=positive number (half-written?)";
      }
      out.put(user.trim(), bounded(w, "weights file, user '" + user.trim() + "'"));
    }
    return null;
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
      double weight = colon > 0 ? number(item.substring(colon + 1).trim()) : Double.NaN;
      if (user.isEmpty() || !(weight > 0)) {
        LOG.warn("spark-uwfq: {}: ignoring '{}' (expected user:weight with a positive weight); "
            + "that user weighs 1", source, item);
        continue;
      }
      out.put(user, bounded(weight, source + ", user '" + user + "'"));
    }
    return out;
  }

  /** {@code w} clamped into [MIN_WEIGHT, MAX_WEIGHT], with a warning when it was outside. */
  static double bounded(double w, String where) {
    double b = Math.min(MAX_WEIGHT, Math.max(MIN_WEIGHT, w));
    if (b != w) {
      LOG.warn("spark-uwfq: {}: weight {} is outside [{}, {}]; using {}", where, w, MIN_WEIGHT,
          MAX_WEIGHT, b);
    }
    return b;
  }

  /** The weights file's share-limit lines as last read (key {@code user.maxShare} to value). */
  public Map<String, String> fileLimits() {
    return fileLimits;
  }

  public Map<String, Double> snapshot() {
    return weights;
  }

  private static double number(String s) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** The file's bytes, or null when it holds more than MAX_FILE_BYTES (it may be a device). */
  private static byte[] readBounded(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] b = in.readNBytes(MAX_FILE_BYTES + 1);
      return b.length > MAX_FILE_BYTES ? null : b;
    }
  }

  private static boolean blank(String s) {
    return s == null || s.trim().isEmpty();
  }
}
