package dev.uwfq.estimate;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hint first, else the history of completed jobs with the same key, else a default.
 *
 * <p>History keeps, per key, an exponentially weighted mean of the cost, and of the cost per
 * input byte for jobs whose input size was known: a job of a known key with a known input size
 * is estimated as rate * bytes, so a key that runs on inputs of different sizes scales.
 * Cold start: a never-seen key (or no key) gets the configured default. The table is bounded
 * (least recently used keys are forgotten) so a long-running application stays small. Thread-safe:
 * the scheduler and the partitioner (on query planning threads) both consult it.
 */
public final class HistoryEstimator implements CostEstimator {
  private static final double ALPHA = 0.3; // weight of the newest observation
  private final double defaultMs;
  private final int maxKeys;
  private final Map<String, KeyHistory> history;

  private static final class KeyHistory {
    double meanMs;
    double msPerByte = -1; // < 0 until a job with a known input size completed
    long samples;
  }

  public HistoryEstimator(double defaultMs, int maxKeys) {
    this.defaultMs = defaultMs;
    this.maxKeys = maxKeys;
    this.history = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, KeyHistory> eldest) {
        return size() > HistoryEstimator.this.maxKeys;
      }
    };
  }

  @Override
  public synchronized Estimate estimate(String key, long hintMs, long inputBytes) {
    if (hintMs > 0) {
      return new Estimate(hintMs, "hint");
    }
    KeyHistory h = key == null ? null : history.get(key);
    if (h != null) {
      if (inputBytes > 0 && h.msPerByte >= 0) {
        return new Estimate(Math.max(1.0, h.msPerByte * inputBytes), "history-bytes");
      }
      return new Estimate(Math.max(1.0, h.meanMs), "history");
    }
    return new Estimate(defaultMs, "default");
  }

  @Override
  public synchronized void onJobCompleted(String key, double coreMs, long inputBytes) {
    if (key == null || !(coreMs >= 0) || Double.isInfinite(coreMs)) {
      return;
    }
    KeyHistory h = history.computeIfAbsent(key, k -> new KeyHistory());
    h.meanMs = h.samples == 0 ? coreMs : (1 - ALPHA) * h.meanMs + ALPHA * coreMs;
    if (inputBytes > 0) {
      double rate = coreMs / inputBytes;
      h.msPerByte = h.msPerByte < 0 ? rate : (1 - ALPHA) * h.msPerByte + ALPHA * rate;
    }
    h.samples++;
  }

  /** Number of keys remembered (bounded by maxKeys). */
  public synchronized int size() {
    return history.size();
  }
}
