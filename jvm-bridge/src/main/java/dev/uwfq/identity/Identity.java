package dev.uwfq.identity;

import java.util.Properties;

/**
 * Who a Spark job belongs to, from its local properties: the one implementation of identity,
 * used by the scheduler and the event recorder alike.
 *
 * <p>User: the {@code uwfq.user} property (set by the Python API), else the authenticated user
 * of a Spark Connect operation, read from the server's own job tag
 * ({@code SparkConnect_OperationTag_User_<user>_Session_<uuid>_Operation_<uuid>}; client tags
 * are wrapped by the server as {@code SparkConnect_SessionTag_...} and are never read), else
 * the configured default user.
 *
 * <p>Logical job: {@code uwfq.jobId} (a {@code uwfq.job} block), else the job group, else the
 * Connect operation or first job tag, else the root SQL execution id (so the several Spark jobs
 * AQE runs for one query are one logical job), else the Spark job itself.
 */
public record Identity(String user, String logicalJob, String jobKey, long costHintMs) {
  public static final String USER = "uwfq.user";
  public static final String JOB_ID = "uwfq.jobId";
  public static final String JOB_KEY = "uwfq.jobKey";
  public static final String COST_HINT_MS = "uwfq.costHintMs";
  static final String JOB_GROUP = "spark.jobGroup.id";
  static final String JOB_TAGS = "spark.job.tags";
  static final String SQL_ROOT_EXECUTION = "spark.sql.execution.root.id";
  static final String SQL_EXECUTION = "spark.sql.execution.id";
  static final String DESCRIPTION = "spark.job.description";
  static final String CALL_SITE = "callSite.short";
  static final String SQL_SESSION_TAG_PREFIX = "spark-session-";
  static final String CONNECT_OPERATION_PREFIX = "SparkConnect_OperationTag_User_";

  public static Identity of(Properties props, int sparkJobId, String defaultUser) {
    if (props == null) {
      return new Identity(defaultUser, "spark-job-" + sparkJobId, null, -1);
    }
    String connectTag = connectOperationTag(props.getProperty(JOB_TAGS));
    String user = nonBlank(props.getProperty(USER));
    if (user == null && connectTag != null) {
      user = connectUser(connectTag);
    }
    if (user == null) {
      user = defaultUser;
    }
    String job = nonBlank(props.getProperty(JOB_ID));
    if (job == null) {
      job = prefixed("group:", props.getProperty(JOB_GROUP));
    }
    if (job == null) {
      job = prefixed("tag:", connectTag != null ? connectTag : firstTag(props.getProperty(JOB_TAGS)));
    }
    if (job == null) {
      String sql = nonBlank(props.getProperty(SQL_ROOT_EXECUTION));
      job = prefixed("sql:", sql != null ? sql : props.getProperty(SQL_EXECUTION));
    }
    if (job == null) {
      job = "spark-job-" + sparkJobId;
    }
    String key = nonBlank(props.getProperty(JOB_KEY));
    if (key == null) {
      key = prefixed("desc:", props.getProperty(DESCRIPTION));
    }
    if (key == null) {
      key = prefixed("site:", props.getProperty(CALL_SITE));
    }
    return new Identity(user, job, key, CostHint.parse(props.getProperty(COST_HINT_MS)));
  }

  /** The user id inside a Connect operation tag, or null when it is not one. */
  static String connectUser(String tag) {
    if (tag == null || !tag.startsWith(CONNECT_OPERATION_PREFIX)) {
      return null;
    }
    // Session and operation ids are UUIDs; the user id may itself contain "_Session_".
    int session = tag.lastIndexOf("_Session_");
    if (session < CONNECT_OPERATION_PREFIX.length() || !tag.contains("_Operation_")) {
      return null;
    }
    return nonBlank(tag.substring(CONNECT_OPERATION_PREFIX.length(), session));
  }

  private static String connectOperationTag(String tags) {
    if (tags == null) {
      return null;
    }
    for (String tag : tags.split(",")) {
      if (tag.startsWith(CONNECT_OPERATION_PREFIX)) {
        return tag;
      }
    }
    return null;
  }

  private static String firstTag(String tags) {
    if (tags == null) {
      return null;
    }
    for (String tag : tags.split(",")) {
      // Spark SQL tags every job of a query with its own session/execution tag: that is the
      // SQL rule below, not a job tag someone chose.
      if (!tag.isBlank() && !tag.startsWith(SQL_SESSION_TAG_PREFIX)) {
        return tag.trim();
      }
    }
    return null;
  }

  private static String prefixed(String prefix, String value) {
    String v = nonBlank(value);
    return v == null ? null : prefix + v;
  }

  private static String nonBlank(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
