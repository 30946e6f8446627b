package dev.uwfq.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The policy's state as one compact JSON document, so Python reads it in one py4j call:
 * {"policy", "now_ms", "cores", "virtual_time", "task_sets", "lingering_jobs",
 *  "users": [{user, weight, share, virtual_start, virtual_finish, active_jobs, running_tasks,
 *             share_now, queued_jobs, lag_ms}],
 *  "jobs": [{job, user, key, estimate_ms, source, used_ms, deadline, live_task_sets,
 *            running_tasks, remaining_tasks, input_bytes, submitted_ms, started_ms, waiting_ms}],
 *  "ended_jobs": [{job, user, key, estimate_ms, source, used_ms, submitted_ms, ended_ms,
 *                  waiting_ms}]} (input_bytes, started_ms null when unknown or not yet).
 * share_now: running tasks / cores; share: the entitled C * w / W. lag_ms: the core-ms a user is
 * owed (positive) or ahead (negative) against the fluid fair share, (V - its virtual start) * w
 * while it has jobs (uwfq only). waiting_ms: submission to first task, or to now while waiting.
 * ended_jobs: the newest {@value #ENDED_SHOWN} jobs that ended but still linger
 * (spark.uwfq.jobLingerMs), newest last, so that a reader polling more often than the linger
 * time sees every job's real cost.
 */
final class StatusJson {
  static final int ENDED_SHOWN = 500; // the newest lingering jobs; the document stays small
  private StatusJson() {}

  static String render(BasePolicy policy, long nowMs) {
    JobBook book = policy.book;
    StringBuilder out = new StringBuilder(256);
    out.append("{\"policy\":").append(str(policy.name()))
        .append(",\"now_ms\":").append(nowMs)
        .append(",\"cores\":").append(book.cores)
        .append(",\"virtual_time\":").append(num(policy.virtualTime()))
        .append(",\"task_sets\":").append(book.taskSets.size())
        .append(",\"lingering_jobs\":").append(book.lingering.size())
        .append(",\"users\":[");
    List<User> users = new ArrayList<>(book.users.values());
    users.sort(Comparator.comparing(u -> u.name));
    boolean first = true;
    double v = policy.virtualTime();
    for (User u : users) {
      int running = 0;
      int queued = 0;
      for (Job j : u.jobs) {
        int r = running(book, j);
        running += r;
        queued += r == 0 ? 1 : 0;
      }
      double lag = u.jobs.isEmpty() ? Double.NaN : (v - policy.virtualStart(u)) * u.weight;
      out.append(first ? "" : ",").append("{\"user\":").append(str(u.name))
          .append(",\"weight\":").append(num(u.weight))
          .append(",\"share\":").append(num(policy.share(u)))
          .append(",\"virtual_start\":").append(num(policy.virtualStart(u)))
          .append(",\"virtual_finish\":").append(num(policy.virtualFinish(u)))
          .append(",\"active_jobs\":").append(u.jobs.size())
          .append(",\"running_tasks\":").append(running)
          .append(",\"share_now\":").append(num((double) running / Math.max(1, book.cores)))
          .append(",\"queued_jobs\":").append(queued)
          .append(",\"lag_ms\":").append(num(lag)).append('}');
      first = false;
    }
    out.append("],\"jobs\":[");
    List<Job> jobs = new ArrayList<>(book.jobs.values());
    jobs.sort(Comparator.comparingLong(j -> j.seq));
    first = true;
    for (Job j : jobs) {
      out.append(first ? "" : ",").append("{\"job\":").append(str(j.id))
          .append(",\"user\":").append(str(j.user.name))
          .append(",\"key\":").append(str(j.key))
          .append(",\"estimate_ms\":").append(num(j.estimateMs))
          .append(",\"source\":").append(str(j.source()))
          .append(",\"used_ms\":").append(num(j.usedMs))
          .append(",\"deadline\":").append(num(policy.deadline(j)))
          .append(",\"live_task_sets\":").append(j.liveTaskSets)
          .append(",\"running_tasks\":").append(running(book, j))
          .append(",\"remaining_tasks\":").append(j.remainingTasks)
          .append(",\"input_bytes\":").append(j.inputBytes < 0 ? "null" : num(j.inputBytes))
          .append(",\"submitted_ms\":").append(j.submittedMs)
          .append(",\"started_ms\":").append(j.startedMs < 0 ? "null" : Long.toString(j.startedMs))
          .append(",\"waiting_ms\":").append(waitingMs(j, nowMs))
          .append('}');
      first = false;
    }
    out.append("],\"ended_jobs\":[");
    first = true;
    int skip = book.lingering.size() - ENDED_SHOWN;
    for (Job j : book.lingering.jobs()) {
      if (skip-- > 0) {
        continue;
      }
      out.append(first ? "" : ",").append("{\"job\":").append(str(j.id))
          .append(",\"user\":").append(str(j.user.name))
          .append(",\"key\":").append(str(j.key))
          .append(",\"estimate_ms\":").append(num(j.estimateMs))
          .append(",\"source\":").append(str(j.source()))
          .append(",\"used_ms\":").append(num(j.usedMs))
          .append(",\"submitted_ms\":").append(j.submittedMs)
          .append(",\"ended_ms\":").append(j.idleSinceMs)
          .append(",\"waiting_ms\":").append(waitingMs(j, j.idleSinceMs))
          .append('}');
      first = false;
    }
    return out.append("]}").toString();
  }

  private static long waitingMs(Job j, long nowMs) {
    return Math.max(0, (j.startedMs < 0 ? nowMs : j.startedMs) - j.submittedMs);
  }

  private static int running(JobBook book, Job j) {
    int n = 0;
    for (Long key : j.taskSetKeys) {
      TaskSet ts = book.taskSets.get(key);
      if (ts != null && !ts.removed) {
        n += ts.runningTasks;
      }
    }
    return n;
  }

  private static String num(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return "null";
    }
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  static String str(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
