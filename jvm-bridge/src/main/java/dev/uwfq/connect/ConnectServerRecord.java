package dev.uwfq.connect;

import dev.uwfq.identity.ServerRecord;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.connect.service.ExecuteHolder;
import org.apache.spark.sql.connect.service.ExecuteKey;
import org.apache.spark.sql.connect.service.SparkConnectService$;
import scala.Option;

/**
 * The user of a Spark Connect job, from the server's own record of its live executions.
 *
 * <p>The server sets {@code callSite.short} of each operation's thread to {@code "Spark Connect
 * - session_id: \"<uuid>\" ..."}; Spark copies only {@code spark*} session confs into a job's
 * properties, so a client cannot change it. The user is that session's, as the server keyed it
 * (with {@link AuthInterceptor}, the authenticated principal). The operation tag in
 * {@code spark.job.tags} is only a shortcut: believed when it names a live execution of that same
 * session. A job without the Connect call site (Spark's broadcast and subquery jobs run under a
 * blank one) is matched by its operation tag alone, which the session-conf guard keeps the
 * server's own.
 *
 * <p>Called under Spark's scheduler lock: lock-free map reads of the execution manager, and a
 * bounded cache of session ids (a session's user never changes).
 */
public final class ConnectServerRecord implements ServerRecord {
  static final String CALL_SITE = "callSite.short";
  static final String CONNECT_CALL_SITE = "Spark Connect - ";
  static final String OPERATION_TAG = "SparkConnect_OperationTag_User_";
  private static final Pattern SESSION = Pattern.compile("session_id: \"([0-9a-fA-F-]{36})\"");
  private static final int MAX_SESSIONS = 4096;
  private final Map<String, String> userOfSession = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > MAX_SESSIONS;
    }
  };

  @Override
  public String userOf(Properties props) {
    String callSite = props.getProperty(CALL_SITE);
    String session = null;
    if (callSite != null && callSite.startsWith(CONNECT_CALL_SITE)) {
      Matcher m = SESSION.matcher(callSite);
      if (!m.find()) {
        return null;
      }
      session = m.group(1);
    } else if (callSite != null && !callSite.isBlank()) {
      return null; // not a Connect operation's thread
    }
    try {
      String user = fromOperationTag(props.getProperty("spark.job.tags"), session);
      if (user != null || session == null) {
        return user;
      }
      return fromSession(session);
    } catch (RuntimeException | LinkageError e) {
      return null; // no Connect server in this application
    }
  }

  /** The user of the live execution the operation tag names, if it is of {@code session}. */
  private static String fromOperationTag(String tags, String session) {
    if (tags == null) {
      return null;
    }
    for (String raw : tags.split(",")) {
      String tag = raw.trim();
      if (!tag.startsWith(OPERATION_TAG)) {
        continue;
      }
      int op = tag.lastIndexOf("_Operation_");
      int ses = op < 0 ? -1 : tag.lastIndexOf("_Session_", op);
      if (ses < OPERATION_TAG.length()) {
        continue;
      }
      String tagSession = tag.substring(ses + "_Session_".length(), op);
      if (session != null && !session.equals(tagSession)) {
        continue; // a tag of another session: copied by a client, not this operation's
      }
      ExecuteKey key = ExecuteKey.apply(tag.substring(OPERATION_TAG.length(), ses), tagSession,
          tag.substring(op + "_Operation_".length()));
      Option<ExecuteHolder> holder =
          SparkConnectService$.MODULE$.executionManager().getExecuteHolder(key);
      if (holder.isDefined() && tag.equals(holder.get().jobTag())) {
        return holder.get().sessionHolder().userId();
      }
    }
    return null;
  }

  private String fromSession(String session) {
    synchronized (userOfSession) {
      String known = userOfSession.get(session);
      if (known != null) {
        return known;
      }
    }
    scala.collection.Iterator<ExecuteHolder> live =
        SparkConnectService$.MODULE$.executionManager().listExecuteHolders().iterator();
    while (live.hasNext()) {
      ExecuteHolder h = live.next();
      if (session.equals(h.sessionHolder().sessionId())) {
        String user = h.sessionHolder().userId();
        synchronized (userOfSession) {
          userOfSession.put(session, user);
        }
        return user;
      }
    }
    return null;
  }
}
