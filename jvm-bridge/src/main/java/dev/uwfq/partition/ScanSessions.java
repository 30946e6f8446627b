package dev.uwfq.partition;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.internal.SQLConf;

/**
 * Per-job split sizes without touching the shared session conf. {@code FilePartition.maxSplitBytes}
 * reads {@code relation.sparkSession.sessionState.conf}, so a scan gets its own split size when its
 * relation points at a clone of the session whose conf says so. Clones are cached by (parent,
 * split, parent's confs): planning the same query again reuses the clone, and a conf change in
 * the parent yields a fresh one.
 */
final class ScanSessions {
  private static final int CAPACITY = 64;

  private record Key(SparkSession parent, long splitBytes, long openCostBytes, int parentConfs) {}

  private static final Map<Key, SparkSession> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, SparkSession> eldest) {
      return size() > CAPACITY;
    }
  };

  private ScanSessions() {}

  static SparkSession withSplit(SparkSession parent, long splitBytes, long openCostBytes) {
    SQLConf parentConf = parent.sessionState().conf();
    Key key = new Key(parent, splitBytes, openCostBytes, parentConf.getAllConfs().hashCode());
    synchronized (CACHE) {
      SparkSession cached = CACHE.get(key);
      if (cached != null) {
        return cached;
      }
    }
    SparkSession clone = parent.cloneSession();
    SQLConf conf = clone.sessionState().conf();
    conf.setConfString("spark.sql.files.maxPartitionBytes", String.valueOf(splitBytes));
    conf.setConfString("spark.sql.files.openCostInBytes", String.valueOf(openCostBytes));
    // maxSplitBytes = min(maxPartitionBytes, max(openCost, bytes / minPartitionNum)): with 1 the
    // split is exactly maxPartitionBytes.
    conf.setConfString("spark.sql.files.minPartitionNum", "1");
    synchronized (CACHE) {
      SparkSession raced = CACHE.putIfAbsent(key, clone);
      return raced != null ? raced : clone;
    }
  }
}
