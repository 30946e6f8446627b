package dev.uwfq.policy;

import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-user limits applied to any policy's launch order, outside the policies: a maximum share
 * (a hard cap on a user's running tasks) and a minimum share (cores a user with runnable work
 * gets before users at or above theirs). Each is a fraction of the cores ({@code 0.5},
 * {@code 50%}) or a count of cores ({@code 4}), per user or as a default for every user.
 *
 * <p>Spark fills free cores in the returned order and the first task set takes all it can use,
 * so a cap is applied to a simulated fill: a task set that could overshoot its user's cap goes
 * after every other one (it only gets cores no one else wants), and one whose user is at the cap
 * is left out of the round. What still overshoots (a capped user alone with more free cores
 * than its headroom) is trimmed right after the round ({@link PreemptionPlanner#trims}).
 *
 * <p>Limits come from confs and, hot-reloaded, from the weights file ({@code alice.maxShare=0.5},
 * {@code *.minShare=2}); a file entry overrides the conf for its user. Tables are swapped whole,
 * so a reader on the scheduling path never waits.
 */
public final class ShareLimits {
  private static final Logger LOG = LoggerFactory.getLogger(ShareLimits.class);
  public static final String MAX_SUFFIX = ".maxShare";
  public static final String MIN_SUFFIX = ".minShare";
  private static final String ANY_USER = "*";

  /** A fraction of the cores in (0, 1], or a count of cores (count > 0). */
  public record Limit(double fraction, int count) {
    public int cores(int total) {
      int n = count > 0 ? count : (int) Math.floor(fraction * total + 1e-9);
      return Math.max(1, Math.min(total, n));
    }

    /** "0.5", "50%" or "4"; null when it is none of those. */
    public static Limit parse(String raw) {
      String s = raw == null ? "" : raw.trim();
      try {
        if (s.endsWith("%")) {
          double p = Double.parseDouble(s.substring(0, s.length() - 1).trim());
          return p > 0 && p <= 100 ? new Limit(p / 100, 0) : null;
        }
        if (s.contains(".") || s.toLowerCase(Locale.ROOT).contains("e")) {
          double f = Double.parseDouble(s);
          return f > 0 && f <= 1 ? new Limit(f, 0) : null;
        }
        int n = Integer.parseInt(s);
        return n > 0 ? new Limit(0, n) : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }

    @Override
    public String toString() {
      return count > 0 ? Integer.toString(count) : (fraction * 100) + "%";
    }
  }

  /** Limits by user; "*" is every user's default. */
  private record Table(Map<String, Limit> max, Map<String, Limit> min) {
    static final Table EMPTY = new Table(Map.of(), Map.of());

    boolean isEmpty() {
      return max.isEmpty() && min.isEmpty();
    }
  }

  private final Table conf;
  private volatile Table file = Table.EMPTY;
  private boolean mayOvershoot; // the last apply put a task set last that could pass its cap

  private ShareLimits(Table conf) {
    this.conf = conf;
  }

  public static ShareLimits none() {
    return new ShareLimits(Table.EMPTY);
  }

  /**
   * From confs: {@code maxShare}/{@code minShare} are every user's default, {@code maxShares}/
   * {@code minShares} per user ("alice:0.5,bob:4"). A bad value is a warning naming it, and ignored.
   */
  public static ShareLimits of(String maxShare, String maxShares, String minShare, String minShares) {
    Map<String, Limit> max = new HashMap<>();
    Map<String, Limit> min = new HashMap<>();
    putDefault(max, maxShare, "spark.uwfq.maxShare");
    putDefault(min, minShare, "spark.uwfq.minShare");
    putUsers(max, maxShares, "spark.uwfq.maxShares");
    putUsers(min, minShares, "spark.uwfq.minShares");
    return new ShareLimits(new Table(Map.copyOf(max), Map.copyOf(min)));
  }

  /** Whether a weights-file key names a limit ({@code user.maxShare}) rather than a weight. */
  public static boolean isLimitKey(String key) {
    return key.endsWith(MAX_SUFFIX) || key.endsWith(MIN_SUFFIX);
  }

  /** Swaps in the limits of the weights file's {@code user.maxShare}/{@code user.minShare} entries. */
  public void reloadFile(Map<String, String> entries, String source) {
    Map<String, Limit> max = new HashMap<>();
    Map<String, Limit> min = new HashMap<>();
    for (Map.Entry<String, String> e : entries.entrySet()) {
      String key = e.getKey().trim();
      boolean isMax = key.endsWith(MAX_SUFFIX);
      if (!isMax && !key.endsWith(MIN_SUFFIX)) {
        continue;
      }
      String user = key.substring(0, key.length() - (isMax ? MAX_SUFFIX : MIN_SUFFIX).length());
      put(isMax ? max : min, user, e.getValue(), source + " " + key);
    }
    file = new Table(Map.copyOf(max), Map.copyOf(min));
  }

  public boolean any() {
    return !conf.isEmpty() || !file.isEmpty();
  }

  public boolean anyMax() {
    return !conf.max.isEmpty() || !file.max.isEmpty();
  }

  /** The most tasks {@code user} may run on {@code cores} cores (MAX_VALUE: no cap). */
  public int maxCores(String user, int cores) {
    Limit l = lookup(file.max, conf.max, user);
    return l == null ? Integer.MAX_VALUE : l.cores(cores);
  }

  /** Cores {@code user} gets first when it has runnable work (0: none). */
  public int minCores(String user, int cores) {
    Limit l = lookup(file.min, conf.min, user);
    return l == null ? 0 : l.cores(cores);
  }

  /**
   * The launch order with the limits applied, from a policy's order of every live task set:
   * task sets of users under their minimum share first, then the rest in the policy's order;
   * a task set whose user is at its cap is left out, one that could overshoot goes last.
   * Returns {@code ordered} itself when no limit is set.
   */
  public List<TaskSetView> apply(List<TaskSetView> ordered, int cores) {
    if (!any()) {
      return ordered;
    }
    Map<String, int[]> running = new HashMap<>(); // user -> {running, planned}
    int busy = 0;
    for (TaskSetView v : ordered) {
      running.computeIfAbsent(userOf(v), u -> new int[2])[0] += v.runningTasks;
      busy += v.runningTasks;
    }
    List<TaskSetView> first = new ArrayList<>();
    List<TaskSetView> rest = new ArrayList<>(ordered.size());
    for (TaskSetView v : ordered) {
      String user = userOf(v);
      boolean underMin = v.pendingTasks > 0 && running.get(user)[0] < minCores(user, cores);
      (underMin ? first : rest).add(v);
    }
    first.addAll(rest);
    List<TaskSetView> out = new ArrayList<>(ordered.size());
    List<TaskSetView> last = new ArrayList<>();
    int free = Math.max(0, cores - busy);
    for (TaskSetView v : first) {
      if (v.pendingTasks == 0) {
        out.add(v);
        continue;
      }
      int[] u = running.get(userOf(v));
      int cap = maxCores(userOf(v), cores);
      int used = u[0] + u[1];
      if (used >= cap) {
        continue; // at its cap: nothing of this user launches this round
      }
      int take = Math.min(v.pendingTasks, free);
      if (used + take <= cap) {
        out.add(v);
        u[1] += take;
        free -= take;
      } else {
        last.add(v);
      }
    }
    out.addAll(last);
    mayOvershoot = !last.isEmpty();
    return out;
  }

  /** Whether the last {@link #apply} could let a user pass its cap (then trim after the round). */
  public boolean mayOvershoot() {
    return mayOvershoot;
  }

  /** The limits in force, as JSON for the status document. */
  public String statusJson(int cores) {
    StringBuilder sb = new StringBuilder("{\"max_share\":");
    appendTable(sb, merged(conf.max, file.max), cores);
    sb.append(",\"min_share\":");
    appendTable(sb, merged(conf.min, file.min), cores);
    return sb.append('}').toString();
  }

  private static Map<String, Limit> merged(Map<String, Limit> a, Map<String, Limit> b) {
    Map<String, Limit> m = new HashMap<>(a);
    m.putAll(b);
    return m;
  }

  private static void appendTable(StringBuilder sb, Map<String, Limit> t, int cores) {
    sb.append('{');
    boolean firstEntry = true;
    for (Map.Entry<String, Limit> e : new java.util.TreeMap<>(t).entrySet()) {
      if (!firstEntry) {
        sb.append(',');
      }
      firstEntry = false;
      sb.append(JsonWriter.quote(e.getKey())).append(":{\"limit\":\"").append(e.getValue())
          .append("\",\"cores\":").append(e.getValue().cores(cores)).append('}');
    }
    sb.append('}');
  }

  private static Limit lookup(Map<String, Limit> file, Map<String, Limit> conf, String user) {
    Limit l = file.get(user);
    if (l == null) {
      l = conf.get(user);
    }
    if (l == null) {
      l = file.get(ANY_USER);
    }
    return l == null ? conf.get(ANY_USER) : l;
  }

  private static String userOf(TaskSetView v) {
    return v.info.user() == null ? "" : v.info.user();
  }

  private static void putDefault(Map<String, Limit> into, String raw, String source) {
    if (raw != null && !raw.trim().isEmpty()) {
      put(into, ANY_USER, raw, source);
    }
  }

  private static void putUsers(Map<String, Limit> into, String spec, String source) {
    if (spec == null) {
      return;
    }
    for (String part : spec.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      int colon = item.lastIndexOf(':');
      if (colon <= 0) {
        LOG.warn("spark-uwfq: {}: ignoring '{}' (expected user:limit, e.g. alice:0.5 or bob:4)",
            source, item);
        continue;
      }
      put(into, item.substring(0, colon).trim(), item.substring(colon + 1), source);
    }
  }

  private static void put(Map<String, Limit> into, String user, String raw, String source) {
    Limit l = Limit.parse(raw);
    if (l == null || user.isEmpty()) {
      LOG.warn("spark-uwfq: {}: ignoring '{}' for user '{}' (expected a fraction of the cores in "
          + "(0, 1] such as 0.5 or 50%, or a whole number of cores such as 4)", source, raw, user);
      return;
    }
    into.put(user, l);
  }
}
