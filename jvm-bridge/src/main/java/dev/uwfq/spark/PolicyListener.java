package dev.uwfq.spark;

import dev.uwfq.identity.Identity;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Feeds what the policy learns after the fact: task run times (to refine estimates) and the end
 * of a logical job's last running Spark job. Runs on the listener bus thread and only posts to
 * the host's queue; it never takes the scheduler lock.
 */
final class PolicyListener extends SparkListener {
  private final PolicyHost host;
  private final String defaultUser;
  // Listener-thread only: Spark jobs still running per logical job.
  private final Map<Integer, String> logicalOfJob = new HashMap<>();
  private final Map<String, Integer> runningJobs = new HashMap<>();
  private final Map<String, Integer> latestJob = new HashMap<>(); // highest Spark job id running

  PolicyListener(PolicyHost host, String defaultUser) {
    this.host = host;
    this.defaultUser = defaultUser;
  }

  @Override
  public void onJobStart(SparkListenerJobStart e) {
    String logical = Identity.of(e.properties(), e.jobId(), defaultUser).logicalJob();
    logicalOfJob.put(e.jobId(), logical);
    runningJobs.merge(logical, 1, Integer::sum);
    latestJob.merge(logical, e.jobId(), Math::max);
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd e) {
    String logical = logicalOfJob.remove(e.jobId());
    if (logical == null) {
      return;
    }
    Integer left = runningJobs.merge(logical, -1, Integer::sum);
    if (left == null || left <= 0) {
      runningJobs.remove(logical);
      Integer latest = latestJob.remove(logical);
      int last = latest == null ? e.jobId() : Math.max(latest, e.jobId());
      host.post(p -> p.onLogicalJobEnded(logical, last, System.currentTimeMillis()));
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    if (e.taskMetrics() == null) {
      return;
    }
    int stage = e.stageId();
    int attempt = e.stageAttemptId();
    // The core was held from launch to finish (deserialization and result handling included):
    // that is what the task cost the others.
    long run = Math.max(e.taskMetrics().executorRunTime(),
        e.taskInfo().finishTime() - e.taskInfo().launchTime());
    boolean ok = e.taskInfo().successful();
    host.post(p -> p.onTaskEnded(stage, attempt, run, ok, System.currentTimeMillis()));
  }
}
