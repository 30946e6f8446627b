package dev.uwfq.partition;

/**
 * What the partitioner did to one planned query of one job: its task count, where the count came
 * from, how many file scans got the split size, how many were left alone (and why, in
 * {@code detail}), and how many shuffles got the partition count.
 */
public record Decision(long timeMs, String jobId, String jobKey, String executionId,
                       String source, long estimateMs, int tasks, int scansSplit,
                       int scansLeftAlone, int shufflesSet, String detail) {

  static final String HEADER = "time_ms\tjob_id\tjob_key\texecution_id\tsource\testimate_ms\ttasks"
      + "\tscans_split\tscans_left_alone\tshuffles_set\tdetail";

  String toTsv() {
    return timeMs + "\t" + clean(jobId) + "\t" + clean(jobKey) + "\t" + clean(executionId) + "\t"
        + source + "\t" + estimateMs + "\t" + tasks + "\t" + scansSplit + "\t" + scansLeftAlone
        + "\t" + shufflesSet + "\t" + clean(detail);
  }

  /** The same decision, planned again (AQE re-plans after every stage): logged once. */
  String identity() {
    return jobId + "|" + executionId + "|" + tasks + "|" + detail;
  }

  private static String clean(String s) {
    return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
  }
}
