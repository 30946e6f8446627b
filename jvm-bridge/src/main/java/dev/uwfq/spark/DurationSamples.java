package dev.uwfq.spark;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The newest durations of one kind of call on Spark's scheduling path (an order round, a
 * submission), kept for the metrics without any work under the scheduler lock beyond one array
 * store: one writer (under the lock) records, one reader (the status poller, off the lock)
 * drains. Samples the reader is too slow for are overwritten (the timers see a sample, not all).
 */
public final class DurationSamples {
  private static final int SIZE = 1024; // a power of two
  private final long[] ring = new long[SIZE];
  private final AtomicLong written = new AtomicLong();
  private long read; // the reader's own position

  /** Under the scheduler lock. */
  void record(long nanos) {
    long n = written.get();
    ring[(int) (n & (SIZE - 1))] = nanos;
    written.lazySet(n + 1); // publishes the store; no fence on the scheduling path
  }

  /** From the one reader thread: the samples recorded since the last drain, oldest first. */
  public void drainTo(LongConsumer out) {
    long end = written.get();
    long from = Math.max(read, end - SIZE);
    for (long i = from; i < end; i++) {
      out.accept(ring[(int) (i & (SIZE - 1))]);
    }
    read = end;
  }
}
