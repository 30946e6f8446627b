package dev.uwfq;

import dev.uwfq.policy.JsonWriter;
import dev.uwfq.policy.Policies;
import dev.uwfq.policy.Weights;
import java.util.List;

/**
 * Every {@code spark.uwfq.*} conf the plugin reads, with default, bounds and doc: the one
 * registry (as Spark's ConfigBuilder entries). Readers go through {@link UwfqConf}, which is
 * lenient: a bad value is a warning naming the key, the value and the expected range, then the
 * default. Python's options table (spark_uwfq/options.py) is tested against {@link #tableJson}
 * key for key and default for default; its docs are the user-facing ones.
 */
public final class Settings {
  private Settings() {}

  /** The longest duration a ms setting takes (about 31 years): bounded, far from overflow. */
  static final long MAX_MS = 1_000_000_000_000L;

  public static final Setting POLICY = Setting.choice("spark.uwfq.policy", "uwfq",
      Policies.CONF_VALUES, "Scheduling policy; off: Spark schedules as without the plugin.");
  public static final Setting DEFAULT_USER = Setting.string("spark.uwfq.defaultUser", "default",
      "User charged for jobs that name none.");
  public static final Setting WEIGHTS = Setting.string("spark.uwfq.weights", "",
      "Per-user weights, alice:2,bob:1; unlisted users weigh 1; each is clamped to ["
          + Weights.MIN_WEIGHT + ", " + Weights.MAX_WEIGHT + "].");
  public static final Setting WEIGHTS_FILE = Setting.string("spark.uwfq.weightsFile", "",
      "Properties file of user=weight lines, read in the background; overrides weights.");
  public static final Setting DEFAULT_COST_MS = Setting.integer("spark.uwfq.defaultCostMs", 1000,
      1, MAX_MS, "Estimate (core-ms) for a job with no hint, before any job has completed.");
  public static final Setting GRACE_MS = Setting.integer("spark.uwfq.graceMs", 3000, 0, MAX_MS,
      "uwfq: the most service (ms of the whole cluster) an active user banks; how long an idle "
          + "user is kept.");
  public static final Setting JOB_LINGER_MS = Setting.integer("spark.uwfq.jobLingerMs", 10_000,
      0, MAX_MS, "How long (ms) an ended logical job is remembered (a later action continues it).");
  public static final Setting EVENTS_CAPACITY = Setting.integer("spark.uwfq.events.capacity",
      200_000, 0, 50_000_000, "Scheduling events kept in the driver; 0 turns recording off.");
  public static final Setting OBSERVE_INTERVAL_MS = Setting.integer(
      "spark.uwfq.observe.intervalMs", 1000, 0, MAX_MS,
      "How often (ms) the status poller posts state changes and updates metrics; 0: off.");
  public static final Setting METRICS_MAX_USERS = Setting.integer("spark.uwfq.metrics.maxUsers",
      20, 0, 1000, "Users with their own metric series; the rest are summed into otherUsers.");
  public static final Setting METRICS_SMALL_JOB_MS = Setting.integer(
      "spark.uwfq.metrics.smallJobMs", 10_000, 1, MAX_MS,
      "Jobs of at most this real cost (core-ms) count in the small-job response histogram.");
  public static final Setting PARTITIONER_ENABLED = Setting.flag("spark.uwfq.partitioner.enabled",
      false, "Runtime partitioning into tasks of about partitioner.targetTaskMs.");
  public static final Setting PARTITIONER_TARGET_TASK_MS = Setting.integer(
      "spark.uwfq.partitioner.targetTaskMs", 500, 1, 3_600_000,
      "Run time (ms) the partitioner aims at for each task.");
  public static final Setting PARTITIONER_MAX_TASKS = Setting.integer(
      "spark.uwfq.partitioner.maxTasks", 1000, 1, 1_000_000,
      "Most tasks the partitioner gives one stage.");
  public static final Setting PREEMPTION_ENABLED = Setting.flag("spark.uwfq.preemption.enabled",
      false, "Bounded-wait preemption of long tasks for starved users.");
  public static final Setting PREEMPTION_WAIT_MS = Setting.integer("spark.uwfq.preemption.waitMs",
      30_000, 0, MAX_MS, "How long (ms) a starved job waits before tasks are killed for it.");
  public static final Setting PREEMPTION_SHARE_FRACTION = Setting.number(
      "spark.uwfq.preemption.shareFraction", 0.5, 0, 1,
      "A user is starved while it runs fewer tasks than this fraction of its fair share.");
  public static final Setting PREEMPTION_CHECK_INTERVAL_MS = Setting.integer(
      "spark.uwfq.preemption.checkIntervalMs", 5_000, 10, MAX_MS,
      "How often (ms) the preemption thread checks.");
  public static final Setting MAX_SHARE = Setting.string("spark.uwfq.maxShare", "",
      "Every user's cap on running tasks: a fraction of the cores or a core count.");
  public static final Setting MAX_SHARES = Setting.string("spark.uwfq.maxShares", "",
      "Per-user caps on running tasks, alice:0.5,bob:4.");
  public static final Setting MIN_SHARE = Setting.string("spark.uwfq.minShare", "",
      "Cores every user with runnable work gets first.");
  public static final Setting MIN_SHARES = Setting.string("spark.uwfq.minShares", "",
      "Per-user minimum shares, alice:0.25,bob:2.");

  public static final Setting TESTING_ENABLED = Setting.flag("spark.uwfq.testing.enabled", false,
      "Test hooks of the facade (injectPolicyFailure); never in production.");
  public static final Setting TRUSTED_USER_PROPERTY = Setting.string(
      "spark.uwfq.identity.trustedUserProperty", "",
      "A job property a gateway sets for the user (kyuubi.session.user); never a spark* name.");
  public static final Setting CONNECT_AUTH = Setting.choice("spark.uwfq.connect.auth", "tokens",
      List.of("tokens", "proxy"), "Connect authentication: per-user tokens or a trusted proxy.");
  public static final Setting CONNECT_TOKENS_FILE = Setting.string(
      "spark.uwfq.connect.tokensFile", "", "Properties file of principal = token lines.");
  public static final Setting CONNECT_PROXY_HEADER = Setting.string(
      "spark.uwfq.connect.proxyHeader", "x-forwarded-user",
      "Header in which the authenticating proxy names the user.");
  public static final Setting CONNECT_TRUSTED_PROXIES = Setting.string(
      "spark.uwfq.connect.trustedProxies", "", "Addresses of the authenticating proxy.");
  public static final Setting CONNECT_MAX_USERS_PER_PRINCIPAL = Setting.integer(
      "spark.uwfq.connect.maxUsersPerPrincipal", 4, 1, 1000,
      "Sub-user ids (principal+name) one principal may use.");
  public static final Setting CONNECT_PROXY_USERS = Setting.string(
      "spark.uwfq.connect.proxyUsers", "",
      "Principals allowed to charge a query to another user (spark.uwfq.session.user).");

  public static final List<Setting> ALL = List.of(POLICY, DEFAULT_USER, WEIGHTS, WEIGHTS_FILE,
      DEFAULT_COST_MS, GRACE_MS, JOB_LINGER_MS, EVENTS_CAPACITY, OBSERVE_INTERVAL_MS,
      METRICS_MAX_USERS, METRICS_SMALL_JOB_MS, PARTITIONER_ENABLED, PARTITIONER_TARGET_TASK_MS,
      PARTITIONER_MAX_TASKS, PREEMPTION_ENABLED, PREEMPTION_WAIT_MS, PREEMPTION_SHARE_FRACTION,
      PREEMPTION_CHECK_INTERVAL_MS, MAX_SHARE, MAX_SHARES, MIN_SHARE, MIN_SHARES, TESTING_ENABLED, TRUSTED_USER_PROPERTY,
      CONNECT_AUTH, CONNECT_TOKENS_FILE, CONNECT_PROXY_HEADER, CONNECT_TRUSTED_PROXIES,
      CONNECT_MAX_USERS_PER_PRINCIPAL, CONNECT_PROXY_USERS);

  /** The registry as JSON: [{key, kind, default, min, max, choices, doc}] (for Python's tests). */
  public static String tableJson() {
    JsonWriter out = new JsonWriter().beginArray();
    for (Setting s : ALL) {
      out.beginObject().field("key", s.key()).field("kind", s.kind().name().toLowerCase())
          .field("default", s.defaultValue()).field("min", s.min()).field("max", s.max())
          .name("choices").beginArray();
      for (String c : s.choices()) {
        out.value(c);
      }
      out.endArray().field("doc", s.doc()).endObject();
    }
    return out.endArray().toString();
  }

  /** Prints {@link #tableJson} (java -cp the jar dev.uwfq.Settings). */
  public static void main(String[] args) {
    System.out.println(tableJson());
  }
}
