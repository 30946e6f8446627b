package dev.uwfq.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.scheduler.Pool;
import org.apache.spark.scheduler.Schedulable;
import org.apache.spark.scheduler.TaskSetManager;
import scala.Enumeration;
import scala.collection.mutable.ArrayBuffer;

/**
 * The one pool all task sets are routed into. Spark asks it for its task sets in launch order on
 * every offer round, under the scheduler lock: the order is computed here without blocking.
 */
public final class UwfqPool extends Pool {
  // FIFO as Spark has it: earlier job first, then earlier stage.
  private static final Comparator<TaskSetManager> FIFO =
      Comparator.comparingInt(TaskSetManager::priority).thenComparingInt(TaskSetManager::stageId);

  UwfqPool(String name, Enumeration.Value mode) {
    super(name, mode, 0, 1);
  }

  @Override
  public ArrayBuffer<TaskSetManager> getSortedTaskSetQueue() {
    List<TaskSetManager> managers = new ArrayList<>(schedulableQueue().size());
    for (Schedulable s : schedulableQueue()) {
      if (s instanceof TaskSetManager) {
        managers.add((TaskSetManager) s);
      }
    }
    managers.sort(FIFO);
    ArrayBuffer<TaskSetManager> out = new ArrayBuffer<>(managers.size());
    for (TaskSetManager m : managers) {
      if (m.isSchedulable()) {
        out.addOne(m);
      }
    }
    return out;
  }
}
