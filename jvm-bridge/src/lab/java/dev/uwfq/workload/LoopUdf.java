package dev.uwfq.workload;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.api.java.UDF3;

/**
 * The replay's CPU-bound job body: for each row, compute square roots in a loop for
 * {@code nanos} nanoseconds, and return a value derived from the row.
 *
 * <p>The paper's Loop20..Loop1000 jobs ran a fixed number of sqrt iterations per row; what
 * scheduling sees is their total executor time. Budgeting by time instead of iterations gives
 * each job exactly its intended core-milliseconds on any machine. {@code cpuTime} picks the
 * clock: false (the replay's default) counts wall time, so a task holds its core for the same
 * time however busy the machine is (the paper's cores were dedicated; ours are shared); true
 * counts this thread's CPU time, so on a busy machine the job takes longer, as real work would.
 *
 * <p>In wall-time mode the budget is kept per task, not per row: each row moves the task's
 * due time on by {@code nanos} and spins until then, so time lost to preemption in one row is
 * made up by the next rows instead of adding up.
 *
 * <p>Registered from Python with {@code spark.udf.registerJavaFunction("uwfq_loop",
 * "dev.uwfq.workload.LoopUdf", DoubleType())}; called as {@code uwfq_loop(value, nanos, false)}.
 */
public final class LoopUdf implements UDF3<Double, Long, Boolean, Double> {
  private static final long serialVersionUID = 1L;
  private static final int ITERATIONS_PER_CHECK = 64;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  /** Per executor thread: {task attempt id, due time in System.nanoTime()}. */
  private static final ThreadLocal<long[]> TASK_DUE =
      ThreadLocal.withInitial(() -> new long[] {-1L, 0L});

  @Override
  public Double call(Double value, Long nanos, Boolean cpuTime) {
    double x = value == null ? 1.0 : Math.abs(value) + 1.0;
    long budget = nanos == null ? 0L : nanos;
    if (budget <= 0) {
      return x;
    }
    return cpuTime != null && cpuTime ? burnCpu(x, budget) : burnWall(x, budget);
  }

  private static double burnCpu(double x, long budget) {
    long start = THREADS.getCurrentThreadCpuTime();
    double acc = x;
    do {
      acc = sqrtLoop(acc, x);
    } while (THREADS.getCurrentThreadCpuTime() - start < budget);
    return acc;
  }

  private static double burnWall(double x, long budget) {
    long[] state = TASK_DUE.get();
    TaskContext task = TaskContext.get();
    long taskId = task == null ? -1L : task.taskAttemptId();
    long now = System.nanoTime();
    if (state[0] != taskId || task == null) {
      state[0] = taskId;
      state[1] = now;
    }
    state[1] += budget;
    double acc = sqrtLoop(x, x);
    while (System.nanoTime() < state[1]) {
      acc = sqrtLoop(acc, x);
    }
    return acc;
  }

  private static double sqrtLoop(double acc, double x) {
    for (int i = 0; i < ITERATIONS_PER_CHECK; i++) {
      acc = Math.sqrt(acc + x + i);
    }
    return acc;
  }
}
