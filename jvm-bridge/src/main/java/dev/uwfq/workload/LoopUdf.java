package dev.uwfq.workload;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.apache.spark.sql.api.java.UDF2;

/**
 * The replay's CPU-bound job body: for each row, compute square roots in a loop until this
 * thread has used {@code cpuNanos} of CPU time, and return a value derived from the row.
 *
 * <p>The paper's Loop20..Loop1000 jobs ran a fixed number of sqrt iterations per row; what
 * scheduling sees is their total executor time. Budgeting by thread CPU time (not iterations
 * or wall time) gives each job exactly its intended core-milliseconds on any machine, while
 * still costing real CPU: on a busy machine the job takes longer, as a real job would.
 *
 * <p>Registered from Python with {@code spark.udf.registerJavaFunction("uwfq_loop",
 * "dev.uwfq.workload.LoopUdf", DoubleType())}; called as {@code uwfq_loop(value, nanos)}.
 */
public final class LoopUdf implements UDF2<Double, Long, Double> {
  private static final long serialVersionUID = 1L;
  private static final int ITERATIONS_PER_CHECK = 256;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  @Override
  public Double call(Double value, Long cpuNanos) {
    double x = value == null ? 1.0 : Math.abs(value) + 1.0;
    long budget = cpuNanos == null ? 0L : cpuNanos;
    if (budget <= 0) {
      return x;
    }
    long start = THREADS.getCurrentThreadCpuTime();
    double acc = x;
    do {
      for (int i = 0; i < ITERATIONS_PER_CHECK; i++) {
        acc = Math.sqrt(acc + x + i);
      }
    } while (THREADS.getCurrentThreadCpuTime() - start < budget);
    return acc;
  }
}
