package dev.uwfq.spark;

import java.util.Properties;
import org.apache.spark.scheduler.Pool;
import org.apache.spark.scheduler.Schedulable;
import org.apache.spark.scheduler.SchedulableBuilder;
import org.apache.spark.scheduler.TaskSetManager;

/**
 * Wraps Spark's own builder and routes every new task set into the UWFQ pool. Called by
 * TaskSchedulerImpl.submitTasks under the scheduler lock, synchronously at stage submission.
 * With policy "off" it hands every task set to Spark's own builder (stock FIFO or FAIR pools).
 */
final class RoutingSchedulableBuilder implements SchedulableBuilder {
  private final SchedulableBuilder original;
  private final UwfqPool pool;

  RoutingSchedulableBuilder(SchedulableBuilder original, UwfqPool pool) {
    this.original = original;
    this.pool = pool;
  }

  @Override
  public Pool rootPool() {
    return original.rootPool();
  }

  @Override
  public void buildPools() {
    original.buildPools();
  }

  @Override
  public void addTaskSetManager(Schedulable manager, Properties properties) {
    if (pool.host().active() && manager instanceof TaskSetManager) {
      pool.addTaskSetManager((TaskSetManager) manager, properties);
    } else {
      original.addTaskSetManager(manager, properties);
    }
  }
}
