package dev.uwfq.spark;

import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link SchedulingPolicy} inside Spark without ever failing Spark's scheduler.
 *
 * <p>Threads: decisions and submissions come under the scheduler lock (TaskSchedulerImpl's
 * monitor); listener events (task ends, job ends) arrive on the listener bus thread and only
 * enqueue, never taking that lock. The queue is drained under the lock before each decision, so
 * the policy is single-threaded and every sort reads one consistent state.
 *
 * <p>Failure: if the policy throws, that round is ordered FIFO (Spark's own FIFO: job id, then
 * stage) and the failure is logged at most once a minute; the next round tries the policy again.
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
  // Test-only switch (Uwfq.injectPolicyFailure): the policy call throws, to exercise the fallback.
  volatile boolean injectFailure = false;

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

  public void submitted(TaskSetInfo info, int cores, long nowMs) {
    guard(nowMs, "submission", () -> {
      policy.onCapacityChanged(cores, nowMs);
      policy.onTaskSetSubmitted(info, nowMs);
    });
  }

  public void removed(TaskSetInfo info, long nowMs) {
    guard(nowMs, "removal", () -> policy.onTaskSetRemoved(info.stageId(), info.stageAttempt(), nowMs));
  }

  /** Sorts {@code views} into launch order: the policy's, or FIFO when it fails. */
  public void order(List<TaskSetView> views, long nowMs) {
    if (!guard(nowMs, "ordering", () -> policy.order(views, nowMs))) {
      if (policy != null) {
        fallbackRounds.incrementAndGet();
      }
      views.sort(SPARK_FIFO);
    }
  }

  String status(long nowMs) {
    String[] out = new String[1];
    if (policy != null && guard(nowMs, "status", () -> out[0] = policy.statusJson(nowMs))) {
      return out[0].replaceFirst("^\\{", "{\"policy_failures\":" + failures.get()
          + ",\"fallback_rounds\":" + fallbackRounds.get() + ",");
    }
    return "{\"policy\":\"" + policyName + "\",\"policy_failures\":" + failures.get()
        + ",\"fallback_rounds\":" + fallbackRounds.get() + ",\"users\":[],\"jobs\":[]}";
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
      if (injectFailure) {
        throw new IllegalStateException("failure injected for tests (Uwfq.injectPolicyFailure)");
      }
      call.run();
      return true;
    } catch (RuntimeException | StackOverflowError | AssertionError e) {
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
}
