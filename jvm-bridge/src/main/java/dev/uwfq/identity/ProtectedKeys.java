package dev.uwfq.identity;

import java.util.Locale;

/**
 * Session confs a client may not set. Spark copies every session conf whose name starts with
 * {@code spark} into the local properties of the query's jobs, over the values the server set:
 * a client could otherwise replace the server's job tags (its identity, and what
 * {@code interruptAll} cancels), join another user's job group, or name another's SQL execution.
 * The plugin's own keys are set by the deployment, except its session channel
 * ({@link SessionChannel}), which is validated instead.
 */
public final class ProtectedKeys {
  private static final String[] PREFIXES = {
      "spark.job.", "spark.jobgroup.", "spark.scheduler.", "spark.sql.execution.id",
      "spark.sql.execution.root.id", "spark.uwfq.", "uwfq.", "callsite."};

  private ProtectedKeys() {}

  /** Why a client may not set {@code key} to {@code value}, or null when it may. */
  public static String problem(String key, String value) {
    if (key == null) {
      return null;
    }
    String k = key.trim().toLowerCase(Locale.ROOT);
    if (k.startsWith(SessionChannel.PREFIX.toLowerCase(Locale.ROOT))) {
      return SessionChannel.problem(key.trim(), value);
    }
    for (String p : PREFIXES) {
      if (k.startsWith(p)) {
        return key.trim() + " is a scheduling property that the server sets for each operation;"
            + " a client may not set it. To name your job, key or cost hint, set "
            + SessionChannel.JOB_ID + ", " + SessionChannel.JOB_KEY + " or "
            + SessionChannel.COST_HINT_MS + " instead";
      }
    }
    return null;
  }
}
