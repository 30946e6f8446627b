package dev.uwfq.spark;

import dev.uwfq.identity.Identity;
import dev.uwfq.policy.JsonWriter;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.scheduler.Pool;
import org.apache.spark.scheduler.Schedulable;
import org.apache.spark.scheduler.TaskSetManager;
import scala.Enumeration;
import scala.collection.mutable.ArrayBuffer;

/**
 * The one pool all task sets are routed into. Spark calls it under the scheduler lock: at
 * submission (identity, input bytes and estimate are stamped synchronously from the task set's
 * properties), at removal, and for the launch order on every offer round.
 */
public final class UwfqPool extends Pool {
  private final PolicyHost host;
  private final String defaultUser;
  private final java.util.function.IntSupplier cores;
  private final Map<Schedulable, TaskSetInfo> infos = new HashMap<>();
  private final JobInputs inputs = new JobInputs();
  // Under the scheduler lock, like every other field here.
  private long submits;
  private long submitNanos;
  private long orders;
  private long orderNanos;
  final DurationSamples submissionTimes = new DurationSamples(); // for the metrics' timers
  final DurationSamples orderTimes = new DurationSamples();
  private Runnable afterRound; // the preemption guard's wake-up when limits may have overshot

  UwfqPool(String name, Enumeration.Value mode, PolicyHost host, String defaultUser,
      java.util.function.IntSupplier cores) {
    super(name, mode, 0, 1);
    this.host = host;
    this.defaultUser = defaultUser;
    this.cores = cores;
  }

  /** Called by the routing builder inside TaskSchedulerImpl.submitTasks. */
  void addTaskSetManager(TaskSetManager manager, Properties properties) {
    addSchedulable(manager); // first: whatever the policy does, the task set runs
    long t0 = System.nanoTime();
    Identity id = Identity.of(properties, manager.priority(), defaultUser);
    TaskSetInfo info = new TaskSetInfo(manager.stageId(), manager.taskSet().stageAttemptId(),
        manager.priority(), id.user(), id.logicalJob(), id.jobKey(), id.costHintMs(),
        inputs.of(id.user(), id.logicalJob(), properties), manager.numTasks());
    infos.put(manager, info);
    host.submitted(info, cores.getAsInt(), System.currentTimeMillis());
    long took = System.nanoTime() - t0;
    submitNanos += took;
    submits++;
    submissionTimes.record(took);
  }

  @Override
  public void removeSchedulable(Schedulable schedulable) {
    super.removeSchedulable(schedulable);
    TaskSetInfo info = infos.remove(schedulable);
    if (info != null) {
      host.removed(info, System.currentTimeMillis());
    }
  }

  @Override
  public ArrayBuffer<TaskSetManager> getSortedTaskSetQueue() {
    long t0 = System.nanoTime();
    long nowMs = System.currentTimeMillis();
    List<TaskSetView> views = views();
    if (views.isEmpty()) {
      host.idle(nowMs); // an idle round (the local reviver's, or a cluster backend's) housekeeps
      return new ArrayBuffer<>(0);
    }
    views = host.launchOrder(views, nowMs);
    ArrayBuffer<TaskSetManager> out = new ArrayBuffer<>(views.size());
    for (TaskSetView v : views) {
      TaskSetManager m = (TaskSetManager) v.handle;
      if (m.isSchedulable()) {
        out.addOne(m);
      }
    }
    long took = System.nanoTime() - t0;
    orderNanos += took;
    orders++;
    orderTimes.record(took);
    if (afterRound != null) {
      afterRound.run();
    }
    return out;
  }

  /**
   * The policy's state as members of {@code out}'s open object; under the scheduler lock. Read-only: running
   * counts come from the task sets themselves, no order round is run.
   */
  void status(JsonWriter out, long nowMs) {
    // Time spent in the plugin on Spark's scheduling path (under the scheduler lock).
    out.name("scheduler_path").beginObject()
        .field("submissions", submits).field("submission_ns", submitNanos)
        .field("order_rounds", orders).field("order_ns", orderNanos)
        .endObject();
    host.status(out, views(), nowMs);
  }

  private List<TaskSetView> views() {
    List<TaskSetView> views = new ArrayList<>(infos.size());
    for (Schedulable s : schedulableQueue()) {
      if (s instanceof TaskSetManager) {
        TaskSetManager m = (TaskSetManager) s;
        TaskSetInfo info = infos.get(m);
        if (info == null) { // added around the builder (should not happen): FIFO keys only
          info = new TaskSetInfo(m.stageId(), m.taskSet().stageAttemptId(), m.priority(), null,
              null, null, -1, -1, m.numTasks());
        }
        int running = m.runningTasks();
        int pending = Math.max(0, m.numTasks() - m.tasksSuccessful() - running);
        views.add(new TaskSetView(info, running, pending, m));
      }
    }
    return views;
  }

  void afterEachRound(Runnable r) {
    afterRound = r;
  }

  PolicyHost host() {
    return host;
  }
}
