package dev.uwfq.spark;

import dev.uwfq.policy.Weights;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the weights file on a daemon thread, so that a slow or hung read (a network mount) never
 * holds Spark's scheduler lock nor blocks shutdown: every {@code everyMs} it calls
 * {@link Weights#reload()}, which swaps a parsed snapshot in whole. Started and stopped with the
 * scheduling hook.
 */
final class WeightsFileReader {
  private static final Logger LOG = LoggerFactory.getLogger(WeightsFileReader.class);
  private final Weights weights;
  private final long everyMs;
  private final Thread thread;
  private final Object firstRead = new Object();
  private volatile boolean stopped;
  private boolean readOnce; // guarded by firstRead

  private WeightsFileReader(Weights weights, long everyMs) {
    this.weights = weights;
    this.everyMs = everyMs;
    this.thread = new Thread(this::loop, "spark-uwfq-weights-reader");
    thread.setDaemon(true);
  }

  /** A started reader of {@code weights}' file, or null when there is no file. */
  static WeightsFileReader start(Weights weights, long everyMs) {
    if (weights.file() == null) {
      return null;
    }
    WeightsFileReader r = new WeightsFileReader(weights, everyMs);
    r.thread.start();
    return r;
  }

  /** Waits at most {@code ms} for the first read, so that the first jobs see the file's weights. */
  void awaitFirstRead(long ms) throws InterruptedException {
    long deadline = System.currentTimeMillis() + ms;
    synchronized (firstRead) {
      long left;
      while (!readOnce && (left = deadline - System.currentTimeMillis()) > 0) {
        firstRead.wait(left);
      }
      if (!readOnce) {
        LOG.warn("spark-uwfq: the weights file {} was not read within {} ms; scheduling starts "
            + "with spark.uwfq.weights and picks the file up when its read returns", weights.file(), ms);
      }
    }
  }

  void stop() {
    stopped = true;
    thread.interrupt(); // a read blocked in the kernel may not wake; the thread is a daemon
  }

  private void loop() {
    while (!stopped) {
      try {
        weights.reload();
      } catch (Throwable t) { // never let the thread die of a bad file
        if (!PolicyHost.nonFatal(t)) {
          throw t;
        }
        LOG.warn("spark-uwfq: reading the weights file {} failed; keeping the weights read before",
            weights.file(), t);
      }
      synchronized (firstRead) {
        readOnce = true;
        firstRead.notifyAll();
      }
      try {
        Thread.sleep(everyMs);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
