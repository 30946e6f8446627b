package dev.uwfq.spark;

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

  private static volatile Installation current = null;

  private SchedulerHook() {}

  /** What one installation changed, so that it can be undone. */
  private static final class Installation {
    final TaskSchedulerImpl scheduler;
    final SchedulableBuilder original;
    final UwfqPool pool;

    Installation(TaskSchedulerImpl scheduler, SchedulableBuilder original, UwfqPool pool) {
      this.scheduler = scheduler;
      this.original = original;
      this.pool = pool;
    }
  }

  public static synchronized void install(SparkContext sc) {
    TaskScheduler ts = sc.taskScheduler();
    if (!(ts instanceof TaskSchedulerImpl)) {
      throw new IllegalStateException(
          "spark-uwfq needs Spark's TaskSchedulerImpl, found "
              + (ts == null ? "none" : ts.getClass().getName()));
    }
    TaskSchedulerImpl impl = (TaskSchedulerImpl) ts;
    Field field = builderField();
    synchronized (impl) { // the lock submitTasks and resourceOffers hold
      try {
        SchedulableBuilder original = (SchedulableBuilder) field.get(impl);
        UwfqPool pool = new UwfqPool(POOL_NAME, SchedulingMode$.MODULE$.FIFO());
        impl.rootPool().addSchedulable(pool);
        field.set(impl, new RoutingSchedulableBuilder(original, pool));
        current = new Installation(impl, original, pool);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("cannot replace TaskSchedulerImpl.schedulableBuilder", e);
      }
    }
    LOG.info("spark-uwfq: scheduling hook installed (pool '{}' under the root pool)", POOL_NAME);
  }

  /** Restores Spark's own builder; task sets already in the pool finish where they are. */
  public static synchronized void uninstall() {
    Installation inst = current;
    if (inst == null) {
      return;
    }
    synchronized (inst.scheduler) {
      try {
        builderField().set(inst.scheduler, inst.original);
      } catch (IllegalAccessException | RuntimeException e) {
        LOG.warn("spark-uwfq: could not restore Spark's schedulable builder", e);
      }
    }
    current = null;
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
