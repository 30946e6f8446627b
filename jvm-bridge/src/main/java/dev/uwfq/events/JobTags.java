package dev.uwfq.events;

import java.util.Properties;

/** Who a Spark job belongs to, read from its local properties when it starts. */
final class JobTags {
  static final JobTags NONE = new JobTags("", "", "");

  final String user;
  final String logicalJob;
  final String jobKey;

  JobTags(String user, String logicalJob, String jobKey) {
    this.user = user;
    this.logicalJob = logicalJob;
    this.jobKey = jobKey;
  }

  // Kept to the properties the Python API sets; the policy's identity rules decide scheduling.
  static JobTags of(Properties props, int sparkJobId, String defaultUser) {
    if (props == null) {
      return new JobTags(defaultUser, "spark-job-" + sparkJobId, "");
    }
    String user = props.getProperty("uwfq.user", defaultUser);
    String logical = props.getProperty("uwfq.jobId");
    if (logical == null) {
      logical = props.getProperty("spark.jobGroup.id");
    }
    if (logical == null) {
      logical = "spark-job-" + sparkJobId;
    }
    return new JobTags(user, logical, props.getProperty("uwfq.jobKey", ""));
  }
}
