package dev.uwfq.events;

import dev.uwfq.identity.Identity;
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

  // The scheduler's identity rules, so recorded events name what the policy saw.
  static JobTags of(Properties props, int sparkJobId, String defaultUser) {
    Identity id = Identity.of(props, sparkJobId, defaultUser);
    return new JobTags(id.user(), id.logicalJob(), id.jobKey() == null ? "" : id.jobKey());
  }
}
