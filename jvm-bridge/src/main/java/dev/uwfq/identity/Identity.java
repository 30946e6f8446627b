package dev.uwfq.identity;

import java.util.Properties;

/**
 * Who a Spark job belongs to, from its local properties: the one implementation of identity,
 * used by the scheduler and the event recorder alike. Only sources a remote client cannot write
 * are believed (see docs/ARCHITECTURE.md, "Trust model").
 *
 * <p>User: the {@code uwfq.user} property (set by in-process code through the Python API; Spark
 * never copies a session conf into it), else the Spark Connect server's own record of the
 * operation ({@link ServerRecord}; the session channel's user, for a listed proxy user, may name
 * another), else the deployment's trusted gateway property, else the default user. Job tags and
 * other {@code spark*} properties are never read for the user: a client can overwrite them.
 *
 * <p>Logical job: {@code uwfq.jobId}, else the session channel's job id, the job group, a job tag
 * or the root SQL execution, each qualified by the user as {@code user/id}, so two users' groups
 * never merge, else the Spark job itself.
 *
 * <p>Key: {@code uwfq.jobKey}, else the session channel's key, else the job description; for a
 * Connect query, whose description is the same for every query of its session, the shape of its
 * plan ({@link PlanShapes}) instead; else the call site.
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
  static final String CONNECT_PREFIX = "Spark Connect - ";
  static final String CONNECT_OPERATION_TAG = "SparkConnect_OperationTag_";

  public static Identity of(Properties props, int sparkJobId, String defaultUser) {
    if (props == null) {
      return new Identity(defaultUser, "spark-job-" + sparkJobId, null, -1);
    }
    IdentityRules rules = IdentityRules.current();
    String user = user(props, rules, defaultUser);
    String job = nonBlank(props.getProperty(JOB_ID));
    if (job == null) {
      job = qualified("session:", user, SessionChannel.read(props, SessionChannel.JOB_ID));
    }
    if (job == null) {
      job = qualified("group:", user, props.getProperty(JOB_GROUP));
    }
    if (job == null) {
      job = qualified("tag:", user, firstTag(props.getProperty(JOB_TAGS)));
    }
    if (job == null) {
      String sql = nonBlank(props.getProperty(SQL_ROOT_EXECUTION));
      job = qualified("sql:", user, sql != null ? sql : props.getProperty(SQL_EXECUTION));
    }
    if (job == null) {
      job = "spark-job-" + sparkJobId;
    }
    return new Identity(user, job, key(props), hint(props));
  }

  private static String user(Properties props, IdentityRules rules, String defaultUser) {
    String user = nonBlank(props.getProperty(USER));
    if (user != null) {
      return user;
    }
    user = rules.serverRecord().userOf(props);
    if (user != null) {
      String named = SessionChannel.read(props, SessionChannel.USER);
      return named != null && rules.proxyUsers().contains(user) ? named : user;
    }
    if (rules.trustedUserProperty() != null) {
      user = nonBlank(props.getProperty(rules.trustedUserProperty()));
    }
    return user != null ? user : defaultUser;
  }

  private static String key(Properties props) {
    String key = nonBlank(props.getProperty(JOB_KEY));
    if (key == null) {
      key = SessionChannel.read(props, SessionChannel.JOB_KEY);
    }
    String description = nonBlank(props.getProperty(DESCRIPTION));
    if (key == null && description != null && description.startsWith(CONNECT_PREFIX)) {
      key = PlanShapes.of(props); // a Connect server describes every query of a session alike
    } else if (key == null && description != null) {
      key = "desc:" + description;
    }
    if (key == null) {
      key = prefixed("site:", props.getProperty(CALL_SITE));
    }
    return key;
  }

  private static long hint(Properties props) {
    String raw = props.getProperty(COST_HINT_MS);
    if (raw == null || raw.isBlank()) {
      raw = SessionChannel.read(props, SessionChannel.COST_HINT_MS);
    }
    return CostHint.parse(raw);
  }

  private static String firstTag(String tags) {
    if (tags == null) {
      return null;
    }
    for (String tag : tags.split(",")) {
      if (tag.trim().startsWith(CONNECT_OPERATION_TAG)) {
        return tag.trim(); // one Connect operation, whatever the client tagged it with
      }
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

  private static String qualified(String prefix, String user, String value) {
    String v = nonBlank(value);
    return v == null ? null : prefix + user + "/" + v;
  }

  private static String prefixed(String prefix, String value) {
    String v = nonBlank(value);
    return v == null ? null : prefix + v;
  }

  private static String nonBlank(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
