package dev.uwfq.identity;

import java.util.Properties;

/**
 * A gateway's own record of who runs a job, looked up from the job's properties (the Spark
 * Connect server's live executions). Called under Spark's scheduler lock: no I/O, no locks that
 * the gateway holds while it submits jobs.
 */
public interface ServerRecord {
  ServerRecord NONE = props -> null;

  /** The user the gateway ran this job for, or null when the job is not one of its own. */
  String userOf(Properties props);
}
