package dev.uwfq.partition;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partitioner's recent decisions, logged at INFO once each (AQE plans a query again after
 * each stage, which would otherwise repeat them) and kept, bounded, for
 * {@code spark_uwfq.partitioner.decisions()}.
 */
public final class DecisionLog {
  private static final Logger LOG = LoggerFactory.getLogger("dev.uwfq.partition.Partitioner");
  private static final int CAPACITY = 2000;
  private static final Deque<Decision> RECENT = new ArrayDeque<>();
  private static long recorded; // decisions ever recorded (guarded by RECENT)
  private static final Map<String, Boolean> SEEN = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > CAPACITY;
    }
  };

  private DecisionLog() {}

  static void record(Decision d) {
    synchronized (RECENT) {
      if (SEEN.put(d.identity(), Boolean.TRUE) != null) {
        return;
      }
      RECENT.addLast(d);
      recorded++;
      while (RECENT.size() > CAPACITY) {
        RECENT.removeFirst();
      }
    }
    LOG.info("spark-uwfq partitioner: job {} (key {}): {} -> {} tasks; {} scan(s) split, {} left "
            + "alone, {} shuffle(s) set; {}", d.jobId(), d.jobKey(),
        d.estimateMs() > 0 ? d.estimateMs() + " ms from " + d.source() : d.source(), d.tasks(),
        d.scansSplit(), d.scansLeftAlone(), d.shufflesSet(), d.detail());
  }

  /** Every decision kept, oldest first, as tab-separated text with a header line. */
  public static String asTsv() {
    StringBuilder out = new StringBuilder(Decision.HEADER).append('\n');
    synchronized (RECENT) {
      for (Decision d : RECENT) {
        out.append(d.toTsv()).append('\n');
      }
    }
    return out.toString();
  }

  /** How many distinct decisions were recorded since the JVM started. */
  public static long recorded() {
    synchronized (RECENT) {
      return recorded;
    }
  }

  /** The newest {@code n} decisions, oldest first. */
  public static java.util.List<Decision> newest(int n) {
    synchronized (RECENT) {
      java.util.List<Decision> all = new java.util.ArrayList<>(RECENT);
      return all.subList(Math.max(0, all.size() - n), all.size());
    }
  }

  /** Forget everything (tests, and a fresh replay run). */
  public static void clear(org.apache.spark.SparkContext sc) {
    synchronized (RECENT) {
      RECENT.clear();
      SEEN.clear();
    }
  }
}
