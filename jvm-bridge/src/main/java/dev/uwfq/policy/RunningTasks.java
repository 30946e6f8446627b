package dev.uwfq.policy;

/**
 * When a task set's running tasks started, as far as the policy can tell: tasks launched after
 * an ordering round are first seen running at the next one, so they are stamped with the
 * earlier round's time (Spark launches right after it orders). Ended tasks are taken oldest
 * first. What the running tasks have used so far is a lower bound on the job's cost that grows
 * while they run: a job of long tasks shows it is big before any of them ends.
 */
final class RunningTasks {
  private long[] starts = new long[4]; // a ring, oldest at head
  private int head;
  private int count;
  private long sum; // of the stamps, for sum(now - start) in O(1)

  int count() {
    return count;
  }

  /** Brings the count to {@code running}: new tasks started at {@code launchedMs}. */
  void observe(int running, long launchedMs) {
    while (count > running) {
      sum -= starts[head];
      head = (head + 1) % starts.length;
      count--;
    }
    while (count < running) {
      if (count == starts.length) {
        grow();
      }
      starts[(head + count) % starts.length] = launchedMs;
      sum += launchedMs;
      count++;
    }
  }

  /** Executor time the running tasks have used by {@code nowMs}. */
  double elapsedMs(long nowMs) {
    return Math.max(0, (double) count * nowMs - sum);
  }

  private void grow() {
    long[] bigger = new long[starts.length * 2];
    for (int i = 0; i < count; i++) {
      bigger[i] = starts[(head + i) % starts.length];
    }
    starts = bigger;
    head = 0;
  }
}
