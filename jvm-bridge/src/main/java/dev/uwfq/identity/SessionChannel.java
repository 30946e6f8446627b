package dev.uwfq.identity;

import java.util.Properties;

/**
 * The plugin's own session confs: how a client that has no SparkContext (Spark Connect, a SQL
 * gateway) names its job, key and cost hint. Spark copies every session conf whose name starts
 * with {@code spark} into the local properties of the query's jobs, so these reach the scheduler
 * with the job itself. Each value is bounded: a guard rejects a bad one when it is set, with a
 * message, and a bad value that reached a job anyway is ignored (no logging under Spark's lock).
 */
public final class SessionChannel {
  public static final String PREFIX = "spark.uwfq.session.";
  public static final String USER = PREFIX + "user";
  public static final String JOB_ID = PREFIX + "jobId";
  public static final String JOB_KEY = PREFIX + "jobKey";
  public static final String COST_HINT_MS = PREFIX + "costHintMs";
  static final int MAX_NAME_CHARS = 200;
  static final double MAX_HINT_MS = CostHint.MAX_MS;

  private SessionChannel() {}

  /** Why {@code value} is not valid for {@code key}, or null when it is. */
  public static String problem(String key, String value) {
    if (!USER.equals(key) && !JOB_ID.equals(key) && !JOB_KEY.equals(key)
        && !COST_HINT_MS.equals(key)) {
      return "unknown key " + key + "; the plugin's session keys are " + USER + ", " + JOB_ID
          + ", " + JOB_KEY + " and " + COST_HINT_MS;
    }
    if (value == null || value.isBlank()) {
      return null; // unset
    }
    switch (key) {
      case USER, JOB_ID, JOB_KEY -> {
        String v = value.trim();
        if (v.length() > MAX_NAME_CHARS) {
          return key + " is " + v.length() + " characters long; at most " + MAX_NAME_CHARS
              + " are accepted";
        }
        for (int i = 0; i < v.length(); i++) {
          if (Character.isISOControl(v.charAt(i))) {
            return key + " contains a control character; use printable text";
          }
        }
        return null;
      }
      default -> {
        double d;
        try {
          d = Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
          return key + "=" + value + " is not a number; give core-milliseconds, e.g. 60000";
        }
        if (!(d > 0) || d > MAX_HINT_MS) {
          return key + "=" + value + " is out of range; give core-milliseconds in (0, 1e12]";
        }
        return null;
      }
    }
  }

  /** The trimmed value of {@code key} in a job's properties, or null when unset or invalid. */
  static String read(Properties props, String key) {
    String v = props.getProperty(key);
    return v == null || v.isBlank() || problem(key, v) != null ? null : v.trim();
  }
}
