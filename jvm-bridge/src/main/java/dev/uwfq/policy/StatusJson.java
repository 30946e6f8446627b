package dev.uwfq.policy;

import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The policy's state as members of one JSON object, so Python reads it in one py4j call:
 * "policy", "now_ms", "cores", "virtual_time", "task_sets", "lingering_jobs",
 * "users": [{user, weight, share, virtual_start, virtual_finish, active_jobs, running_tasks,
 *            share_now, queued_jobs, lag_ms}],
 * "jobs": [{job, user, key, estimate_ms, source, used_ms, deadline, live_task_sets,
 *           running_tasks, remaining_tasks, input_bytes, submitted_ms, started_ms, waiting_ms}],
 * "ended_jobs": [{job, user, key, estimate_ms, source, used_ms, submitted_ms, ended_ms,
 *                 waiting_ms}] (input_bytes, started_ms null when unknown or not yet).
 * share_now: running tasks / cores; share: the entitled C * w / W. lag_ms: the core-ms a user is
 * owed (positive) or ahead (negative) against the fluid fair share, (V - its virtual start) * w
 * while it has jobs (uwfq only). waiting_ms: submission to first task, or to now while waiting.
 * ended_jobs: the newest {@value #ENDED_SHOWN} jobs that ended but still linger
 * (spark.uwfq.jobLingerMs), newest last, so that a reader polling more often than the linger
 * time sees every job's real cost.
 *
 * <p>Read-only: running tasks come from the views passed in (else from the last order round),
 * and nothing the order depends on is touched.
 */
final class StatusJson {
  static final int ENDED_SHOWN = 500; // the newest lingering jobs; the document stays small

  private StatusJson() {}

  static void write(BasePolicy policy, JsonWriter out, List<TaskSetView> live, long nowMs) {
    JobBook book = policy.book;
    Map<Long, Integer> running = null;
    if (live != null) {
      running = new HashMap<>();
      for (TaskSetView v : live) {
        running.merge(v.info.taskSetKey(), v.runningTasks, Integer::sum);
      }
    }
    double v = policy.virtualTime();
    out.field("policy", policy.name())
        .field("now_ms", nowMs)
        .field("cores", book.cores)
        .field("virtual_time", v)
        .field("task_sets", book.taskSets.size())
        .field("lingering_jobs", book.lingering.size());
    List<User> users = new ArrayList<>(book.users.values());
    users.sort(Comparator.comparing(u -> u.name));
    out.name("users").beginArray();
    for (User u : users) {
      int runningTasks = 0;
      int queued = 0;
      for (Job j : u.jobs) {
        int r = running(book, j, running);
        runningTasks += r;
        queued += r == 0 ? 1 : 0;
      }
      double lag = u.jobs.isEmpty() ? Double.NaN : (v - policy.virtualStart(u)) * u.weight;
      out.beginObject()
          .field("user", u.name)
          .field("weight", u.weight)
          .field("share", policy.share(u))
          .field("virtual_start", policy.virtualStart(u))
          .field("virtual_finish", policy.virtualFinish(u))
          .field("active_jobs", u.jobs.size())
          .field("running_tasks", runningTasks)
          .field("share_now", (double) runningTasks / Math.max(1, book.cores))
          .field("queued_jobs", queued)
          .field("lag_ms", lag)
          .endObject();
    }
    out.endArray();
    List<Job> jobs = new ArrayList<>(book.jobs.values());
    jobs.sort(Comparator.comparingLong(j -> j.seq));
    out.name("jobs").beginArray();
    for (Job j : jobs) {
      out.beginObject();
      common(out, j);
      out.field("deadline", policy.deadline(j))
          .field("live_task_sets", j.liveTaskSets)
          .field("running_tasks", running(book, j, running))
          .field("remaining_tasks", j.remainingTasks)
          .name("input_bytes");
      if (j.inputBytes < 0) {
        out.nullValue();
      } else {
        out.value(j.inputBytes);
      }
      out.field("submitted_ms", j.submittedMs).name("started_ms");
      if (j.startedMs < 0) {
        out.nullValue();
      } else {
        out.value(j.startedMs);
      }
      out.field("waiting_ms", waitingMs(j, nowMs)).endObject();
    }
    out.endArray();
    out.name("ended_jobs").beginArray();
    int skip = book.lingering.size() - ENDED_SHOWN;
    for (Job j : book.lingering.jobs()) {
      if (skip-- > 0) {
        continue;
      }
      out.beginObject();
      common(out, j);
      out.field("submitted_ms", j.submittedMs)
          .field("ended_ms", j.idleSinceMs)
          .field("waiting_ms", waitingMs(j, j.idleSinceMs))
          .endObject();
    }
    out.endArray();
  }

  private static void common(JsonWriter out, Job j) {
    out.field("job", j.id)
        .field("user", j.user.name)
        .field("key", j.key)
        .field("estimate_ms", j.estimateMs)
        .field("source", j.source())
        .field("used_ms", j.usedMs);
  }

  private static long waitingMs(Job j, long nowMs) {
    return Math.max(0, (j.startedMs < 0 ? nowMs : j.startedMs) - j.submittedMs);
  }

  private static int running(JobBook book, Job j, Map<Long, Integer> live) {
    int n = 0;
    for (Long key : j.taskSetKeys) {
      TaskSet ts = book.taskSets.get(key);
      if (ts != null && !ts.removed) {
        n += live == null ? ts.runningTasks : live.getOrDefault(key, 0);
      }
    }
    return n;
  }
}
