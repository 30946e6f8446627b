package dev.uwfq.spark;

import dev.uwfq.Settings;
import dev.uwfq.UwfqConf;
import dev.uwfq.estimate.HistoryEstimator;
import dev.uwfq.partition.EstimatorSource;
import dev.uwfq.partition.JobEstimates;
import dev.uwfq.policy.JsonWriter;
import dev.uwfq.policy.Policies;
import dev.uwfq.policy.PolicyConfig;
import dev.uwfq.policy.PreemptionPlanner;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.Weights;
import java.lang.reflect.Field;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SchedulableBuilder;
import org.apache.spark.scheduler.SchedulingMode$;
import org.apache.spark.scheduler.TaskScheduler;
import org.apache.spark.scheduler.TaskSchedulerImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the scheduling hook without forking Spark and without touching a final field: one
 * {@link UwfqPool} is added under the root pool, and TaskSchedulerImpl's non-final
 * {@code schedulableBuilder} is replaced by a {@link RoutingSchedulableBuilder} that sends every
 * task set into that pool.
 */
public final class SchedulerHook {
  private static final Logger LOG = LoggerFactory.getLogger(SchedulerHook.class);
  public static final String POOL_NAME = "uwfq";
  private static final long WEIGHTS_FILE_CHECK_MS = 1000;
  // At start-up only (not under the scheduler lock): the first jobs should see the file's weights,
  // but a hung mount must not hold up the SparkContext.
  private static final long WEIGHTS_FIRST_READ_WAIT_MS = 2000;
  private static final long LOCAL_REVIVE_MS = 1000; // as spark.scheduler.revive.interval

  private static volatile Installation current = null;

  private SchedulerHook() {}

  /** What one installation changed, so that it can be undone. */
  private static final class Installation {
    final TaskSchedulerImpl scheduler;
    final SchedulableBuilder original;
    final UwfqPool pool;
    final PolicyListener listener;
    final WeightsFileReader weightsReader; // null without a weights file
    final PreemptionPlanner preemption;
    PreemptionGuard guard; // null when neither preemption nor a cap is set
    LocalReviver reviver; // null unless the backend is local

    Installation(TaskSchedulerImpl scheduler, SchedulableBuilder original, UwfqPool pool,
        PolicyListener listener, WeightsFileReader weightsReader, PreemptionPlanner preemption) {
      this.scheduler = scheduler;
      this.original = original;
      this.pool = pool;
      this.listener = listener;
      this.weightsReader = weightsReader;
      this.preemption = preemption;
    }
  }

  /** The policy named by spark.uwfq.policy, built from the spark.uwfq.* confs (null for off). */
  static SchedulingPolicy policyFor(SparkContext sc, String name, Weights weights) {
    if ("off".equals(name)) {
      return null;
    }
    UwfqConf conf = new UwfqConf(sc.conf());
    long defaultCost = conf.integer(Settings.DEFAULT_COST_MS);
    PolicyConfig config = new PolicyConfig(
        Math.max(1, sc.defaultParallelism()),
        conf.string(Settings.DEFAULT_USER),
        weights,
        new HistoryEstimator(defaultCost, 10_000),
        defaultCost,
        conf.integer(Settings.GRACE_MS),
        conf.integer(Settings.JOB_LINGER_MS),
        10_000);
    // The runtime partitioner sizes jobs from the same estimates the policy orders them by.
    JobEstimates.setSource(new EstimatorSource(config.estimator(), config.defaultUser()));
    return Policies.create(name, config);
  }

  public static synchronized void install(SparkContext sc) {
    TaskScheduler ts = sc.taskScheduler();
    if (!(ts instanceof TaskSchedulerImpl)) {
      throw new IllegalStateException(
          "spark-uwfq needs Spark's TaskSchedulerImpl, found "
              + (ts == null ? "none" : ts.getClass().getName()));
    }
    TaskSchedulerImpl impl = (TaskSchedulerImpl) ts;
    UwfqConf conf = new UwfqConf(sc.conf());
    String name = conf.choice(Settings.POLICY);
    String defaultUser = conf.string(Settings.DEFAULT_USER);
    Weights weights = Weights.of(conf.string(Settings.WEIGHTS), conf.string(Settings.WEIGHTS_FILE));
    WeightsFileReader reader = "off".equals(name) ? null
        : WeightsFileReader.start(weights, WEIGHTS_FILE_CHECK_MS);
    if (reader != null) {
      try {
        reader.awaitFirstRead(WEIGHTS_FIRST_READ_WAIT_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    PolicyHost host = new PolicyHost(policyFor(sc, name, weights), name);
    host.setLimits(PreemptionGuard.limits(conf));
    if (reader != null && !conf.string(Settings.WEIGHTS_FILE).isEmpty()) {
      // The file's limit lines hold from the first job on; the guard picks up later changes.
      host.limits().reloadFile(weights.fileLimits(), "spark.uwfq.weightsFile");
    }
    PreemptionPlanner preemption = new PreemptionPlanner(PreemptionGuard.settings(conf));
    PolicyListener listener = new PolicyListener(host, defaultUser);
    Field field = builderField();
    synchronized (impl) { // the lock submitTasks and resourceOffers hold
      try {
        SchedulableBuilder original = (SchedulableBuilder) field.get(impl);
        UwfqPool pool = new UwfqPool(POOL_NAME, SchedulingMode$.MODULE$.FIFO(), host, defaultUser,
            () -> Math.max(1, sc.defaultParallelism()));
        impl.rootPool().addSchedulable(pool);
        field.set(impl, new RoutingSchedulableBuilder(original, pool));
        current = new Installation(impl, original, pool, listener, reader, preemption);
      } catch (IllegalAccessException e) {
        if (reader != null) {
          reader.stop();
        }
        throw new IllegalStateException("cannot replace TaskSchedulerImpl.schedulableBuilder", e);
      }
    }
    if (host.active()) {
      sc.addSparkListener(listener);
      current.guard = PreemptionGuard.start(sc, impl, current.pool, preemption, weights,
          !conf.string(Settings.WEIGHTS_FILE).isEmpty());
      current.reviver = LocalReviver.startFor(impl.backend(), LOCAL_REVIVE_MS);
    }
    LOG.info("spark-uwfq: scheduling hook installed (pool '{}' under the root pool, policy {})",
        POOL_NAME, name);
  }

  /** Restores Spark's own builder; task sets already in the pool finish where they are. */
  public static synchronized void uninstall(SparkContext sc) {
    Installation inst = current;
    if (inst == null || inst.scheduler.sc() != sc) {
      return;
    }
    if (inst.weightsReader != null) {
      inst.weightsReader.stop();
    }
    try {
      inst.scheduler.sc().removeSparkListener(inst.listener);
    } catch (RuntimeException e) {
      LOG.debug("spark-uwfq: listener already gone", e);
    }
    if (inst.guard != null) {
      inst.guard.stop();
    }
    if (inst.reviver != null) {
      inst.reviver.stop();
    }
    synchronized (inst.scheduler) {
      try {
        builderField().set(inst.scheduler, inst.original);
      } catch (IllegalAccessException | RuntimeException e) {
        LOG.warn("spark-uwfq: could not restore Spark's schedulable builder", e);
      }
    }
    current = null;
    JobEstimates.setSource(null);
  }

  /** The policy state as JSON, read under the scheduler lock (a consistent snapshot). */
  public static String status() {
    Installation inst = current;
    if (inst == null) {
      return "{\"policy\":null,\"users\":[],\"jobs\":[]}";
    }
    JsonWriter out = new JsonWriter().beginObject();
    int cores;
    synchronized (inst.scheduler) {
      inst.pool.status(out, System.currentTimeMillis());
      cores = inst.pool.host().cores();
    }
    out.name("preemption").rawValue(inst.preemption.statusJson())
        .name("limits").rawValue(inst.pool.host().limits().statusJson(cores));
    return out.endObject().toString();
  }

  /** Durations of order rounds (nanoseconds), for the metrics; null when not installed. */
  public static DurationSamples orderTimes() {
    Installation inst = current;
    return inst == null ? null : inst.pool.orderTimes;
  }

  /** Durations of task set submissions in the pool (nanoseconds); null when not installed. */
  public static DurationSamples submissionTimes() {
    Installation inst = current;
    return inst == null ? null : inst.pool.submissionTimes;
  }

  /** Number of policy calls that failed and fell back to FIFO. */
  public static long policyFailures() {
    Installation inst = current;
    return inst == null ? 0 : inst.pool.host().failures();
  }

  /** Test-only: while on, every policy call fails, so that the FIFO fallback can be exercised. */
  public static void injectPolicyFailure(SparkContext sc, boolean on) {
    Installation inst = current;
    if (inst != null && inst.scheduler.sc() == sc) {
      inst.pool.host().injectFailure(on
          ? new IllegalStateException("failure injected for tests (Uwfq.injectPolicyFailure)") : null);
    }
  }

  public static boolean isInstalled() {
    return current != null;
  }

  /** The installed pool, or null when the hook is not installed. */
  public static UwfqPool pool() {
    Installation inst = current;
    return inst == null ? null : inst.pool;
  }

  private static Field builderField() {
    try {
      Field f = TaskSchedulerImpl.class.getDeclaredField("schedulableBuilder");
      f.setAccessible(true);
      return f;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException(
          "TaskSchedulerImpl.schedulableBuilder not found: this Spark version is not supported "
              + "(spark-uwfq targets Spark 4.3.x)",
          e);
    }
  }
}
