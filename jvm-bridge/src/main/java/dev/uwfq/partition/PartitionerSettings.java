package dev.uwfq.partition;

import dev.uwfq.Settings;
import dev.uwfq.UwfqConf;
import org.apache.spark.sql.internal.SQLConf;

/**
 * The partitioner's confs, read from the session's SQL conf at planning time (which starts from
 * the SparkConf), so {@code spark.conf.set("spark.uwfq.partitioner.enabled", "true")} switches it
 * for one session. Read through the registry's lenient reader: a bad value warns once and the
 * default is used.
 */
record PartitionerSettings(boolean enabled, long targetTaskMs, int maxTasks) {
  static PartitionerSettings from(SQLConf conf) {
    UwfqConf settings = new UwfqConf(key -> conf.getConfString(key, null));
    return new PartitionerSettings(settings.flag(Settings.PARTITIONER_ENABLED),
        settings.integer(Settings.PARTITIONER_TARGET_TASK_MS),
        (int) settings.integer(Settings.PARTITIONER_MAX_TASKS));
  }
}
