package dev.uwfq.spark;

import dev.uwfq.policy.JsonWriter;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.ShareLimits;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.util.control.ControlThrowable;

/**
 * Runs a {@link SchedulingPolicy} inside Spark without ever failing Spark's scheduler.
 *
 * <p>Threads: decisions and submissions come under the scheduler lock (TaskSchedulerImpl's
 * monitor); listener events (task ends, job ends) arrive on the listener bus thread and only
 * enqueue, never taking that lock. The queue is drained under the lock before each decision, so
 * the policy is single-threaded and every sort reads one consistent state.
 *
 * <p>Failure: if the policy throws anything non-fatal ({@link #nonFatal}), that round is ordered FIFO (Spark's own FIFO: job id, then
 * stage), the failure is counted and logged at most once a minute; the next round tries the
 * policy again. A task set whose submission failed is unknown to the policy: it is kept here and
 * submitted again at the next order round (adopted), so one fault does not send it to the back
 * of the queue for its whole life.
 *
 * <p>Public for the simulator (dev.uwfq.sim), which drives policies through this same host.
 */
public final class PolicyHost {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyHost.class);
  private static final long LOG_EVERY_MS = 60_000;
  static final Comparator<TaskSetView> SPARK_FIFO =
      Comparator.<TaskSetView>comparingInt(v -> v.info.sparkJobId())
          .thenComparingInt(v -> v.info.stageId())
          .thenComparingInt(v -> v.info.stageAttempt());

  private final SchedulingPolicy policy; // null for "off"
  private final String policyName;
  private final ConcurrentLinkedQueue<Consumer<SchedulingPolicy>> inbox = new ConcurrentLinkedQueue<>();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong fallbackRounds = new AtomicLong(); // order rounds that went FIFO
  private long lastFailureLogMs = Long.MIN_VALUE;
  private long suppressedFailures = 0;
  // Under the scheduler lock: task sets whose submission to the policy failed, by task set key.
  private final Map<Long, TaskSetInfo> missed = new LinkedHashMap<>();
  // Under the scheduler lock: per-user limits applied to every order, the cores they are taken
  // of, and the policy's last order (ranks for preemption, read by the guard under the lock).
  private ShareLimits limits = ShareLimits.none();
  private int cores = 1;
  private List<TaskSetView> lastOrder = List.of();
  // Test-only (Uwfq.injectPolicyFailure): while set, every policy call throws it.
  private volatile Throwable injected = null;

  public PolicyHost(SchedulingPolicy policy, String policyName) {
    this.policy = policy;
    this.policyName = policyName;
  }

  boolean active() {
    return policy != null;
  }

  String policyName() {
    return policyName;
  }

  public long failures() {
    return failures.get();
  }

  public long fallbackRounds() {
    return fallbackRounds.get();
  }

  /** From any thread (the listener bus): queued for the next decision. */
  public void post(Consumer<SchedulingPolicy> event) {
    if (policy != null) {
      inbox.add(event);
    }
  }

  // ---- under the scheduler lock -------------------------------------------------------------

  /** Test-only: while {@code t} is not null, every policy call throws it. */
  public void injectFailure(Throwable t) {
    injected = t;
  }

  /** Task sets the policy does not know yet because their submission failed. */
  public int missedTaskSets() {
    return missed.size();
  }

  public void submitted(TaskSetInfo info, int cores, long nowMs) {
    this.cores = Math.max(1, cores);
    if (!guard(nowMs, "submission", () -> {
      policy.onCapacityChanged(cores, nowMs);
      policy.onTaskSetSubmitted(info, nowMs);
    })) {
      if (policy != null) {
        missed.put(info.taskSetKey(), info);
      }
    }
  }

  public void removed(TaskSetInfo info, long nowMs) {
    if (missed.remove(info.taskSetKey()) != null) {
      return; // the policy never knew it
    }
    guard(nowMs, "removal", () -> policy.onTaskSetRemoved(info.stageId(), info.stageAttempt(), nowMs));
  }

  /** Sorts {@code views} into launch order: the policy's, or FIFO when it fails. */
  public void order(List<TaskSetView> views, long nowMs) {
    adoptMissed(nowMs);
    if (!guard(nowMs, "ordering", () -> policy.order(views, nowMs))) {
      if (policy != null) {
        fallbackRounds.incrementAndGet();
      }
      views.sort(SPARK_FIFO);
    }
  }

  /** An offer round found no task set: queued events are applied and expired state released. */
  public void idle(long nowMs) {
    guard(nowMs, "idle housekeeping", () -> policy.onIdle(nowMs));
  }

  /** Submits again each task set whose submission failed; one that fails again stays missed. */
  private void adoptMissed(long nowMs) {
    for (Iterator<TaskSetInfo> it = missed.values().iterator(); it.hasNext(); ) {
      TaskSetInfo info = it.next();
      if (guard(nowMs, "adoption of a missed submission", () -> policy.onTaskSetSubmitted(info, nowMs))) {
        it.remove();
      }
    }
  }

  /**
   * The launch order: the policy's (or FIFO), then the share limits (which may leave task sets
   * out of this round).
   */
  public List<TaskSetView> launchOrder(List<TaskSetView> views, long nowMs) {
    order(views, nowMs);
    lastOrder = views;
    return limits.apply(views, cores);
  }

  public void setLimits(ShareLimits limits) {
    this.limits = limits;
  }

  public ShareLimits limits() {
    return limits;
  }

  public int cores() {
    return cores;
  }

  /** Every live task set in the policy's order of the last launch round. */
  public List<TaskSetView> lastOrder() {
    return lastOrder;
  }

  /**
   * Writes the host's counters and the policy's state as members of {@code out}'s open object;
   * a policy whose status fails is shown by name only (the failure is counted).
   */
  void status(JsonWriter out, List<TaskSetView> live, long nowMs) {
    out.field("policy_failures", failures.get()).field("fallback_rounds", fallbackRounds.get());
    JsonWriter.Mark mark = out.mark();
    if (policy == null || !guard(nowMs, "status", () -> policy.writeStatus(out, live, nowMs))) {
      out.reset(mark).field("policy", policyName)
          .name("users").beginArray().endArray()
          .name("jobs").beginArray().endArray();
    }
  }

  private boolean guard(long nowMs, String what, Runnable call) {
    if (policy == null) {
      return false;
    }
    try {
      Consumer<SchedulingPolicy> event;
      while ((event = inbox.poll()) != null) {
        event.accept(policy);
      }
      Throwable fault = injected;
      if (fault != null) {
        throw PolicyHost.<RuntimeException>sneaky(fault);
      }
      call.run();
      return true;
    } catch (Throwable e) {
      if (!nonFatal(e)) {
        throw e; // out of memory, a broken class path, an interrupt: not the policy's to hide
      }
      failures.incrementAndGet();
      if (lastFailureLogMs == Long.MIN_VALUE || nowMs - lastFailureLogMs >= LOG_EVERY_MS) {
        LOG.error("spark-uwfq: policy '{}' failed during {} ({} similar failures not logged "
            + "since the last report); this round is ordered FIFO", policyName, what,
            suppressedFailures, e);
        lastFailureLogMs = nowMs;
        suppressedFailures = 0;
      } else {
        suppressedFailures++;
      }
      return false;
    }
  }

  /**
   * Scala 2.12's {@code NonFatal}: all but VirtualMachineError other than StackOverflowError
   * (a policy's deep recursion must not take the scheduler down), ThreadDeath,
   * InterruptedException, LinkageError and ControlThrowable. (Scala 2.13's also counts
   * StackOverflowError as fatal.)
   */
  @SuppressWarnings("removal")
  static boolean nonFatal(Throwable t) {
    if (t instanceof StackOverflowError) {
      return true;
    }
    return !(t instanceof VirtualMachineError || t instanceof ThreadDeath
        || t instanceof InterruptedException || t instanceof LinkageError
        || t instanceof ControlThrowable);
  }

  /** Throws a checked throwable unchecked (tests inject any kind). */
  @SuppressWarnings("unchecked")
  private static <T extends Throwable> T sneaky(Throwable t) throws T {
    throw (T) t;
  }
}
