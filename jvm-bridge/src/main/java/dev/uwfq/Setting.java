package dev.uwfq;

import java.util.List;

/**
 * One {@code spark.uwfq.*} conf: its key, kind, default, bounds and what it does (the JVM's
 * registry is {@link Settings}; Python's options table is tested against it key for key).
 * {@code min}/{@code max} bound numbers (inclusive); {@code choices} lists a choice's values.
 */
public record Setting(String key, Kind kind, String defaultValue, double min, double max,
    List<String> choices, String doc) {

  /** How a value is read. */
  public enum Kind { STRING, INTEGER, NUMBER, BOOLEAN, CHOICE }

  static Setting string(String key, String defaultValue, String doc) {
    return new Setting(key, Kind.STRING, defaultValue, Double.NaN, Double.NaN, List.of(), doc);
  }

  static Setting integer(String key, long defaultValue, long min, long max, String doc) {
    return new Setting(key, Kind.INTEGER, Long.toString(defaultValue), min, max, List.of(), doc);
  }

  static Setting number(String key, double defaultValue, double min, double max, String doc) {
    return new Setting(key, Kind.NUMBER, Double.toString(defaultValue), min, max, List.of(), doc);
  }

  static Setting flag(String key, boolean defaultValue, String doc) {
    return new Setting(key, Kind.BOOLEAN, Boolean.toString(defaultValue), Double.NaN, Double.NaN,
        List.of("true", "false"), doc);
  }

  static Setting choice(String key, String defaultValue, List<String> choices, String doc) {
    return new Setting(key, Kind.CHOICE, defaultValue, Double.NaN, Double.NaN, choices, doc);
  }

  /** The default as a number (INTEGER settings). */
  public long defaultLong() {
    return Long.parseLong(defaultValue);
  }

  /** What a valid value looks like, for warnings. */
  public String expected() {
    return switch (kind) {
      case STRING -> "a non-blank string";
      case INTEGER -> "an integer from " + (long) min + " to " + (long) max;
      case NUMBER -> "a number from " + min + " to " + max;
      case BOOLEAN -> "true or false";
      case CHOICE -> "one of " + String.join(", ", choices);
    };
  }
}
