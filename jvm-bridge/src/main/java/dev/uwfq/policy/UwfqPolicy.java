package dev.uwfq.policy;

import java.util.Comparator;

/**
 * User-weighted fair queuing (after arXiv 2510.15485, with weights and reconciliation).
 *
 * <p>Global virtual time V is the service (core-ms per unit of weight) each active user would
 * have received under weighted processor sharing: it advances at C / (sum of active weights)
 * per millisecond. A user stays active while it has jobs, or until V reaches its virtual finish.
 * Inside a user, jobs share the user's service equally, so they would finish in the order of
 * their per-user deadline d = (user's per-job virtual time at arrival) + cost: a short job
 * overtakes the same user's long one. The user's jobs are chained in that order from the
 * user's virtual start S: D = S + sum of costs / weight. Task sets run earliest D first.
 *
 * <p>Improvements over the paper's runs: weights; estimates stamped synchronously at
 * submission; estimates that grow as observed task times show a job is bigger; and real
 * completions reconcile virtual time (S advances by what a job really used, so an
 * over-estimate is given back). A user's credit for having used less than its share is
 * bounded by {@code graceMs} of service, so idling never banks priority.
 */
public final class UwfqPolicy extends BasePolicy {
  private static final Comparator<JobBook.Job> BY_LOCAL_DEADLINE =
      Comparator.<JobBook.Job>comparingDouble(j -> j.localDeadline).thenComparingLong(j -> j.seq);
  private double v = 0;
  private long lastMs = Long.MIN_VALUE;

  public UwfqPolicy(PolicyConfig config) {
    super(config);
  }

  @Override
  public String name() {
    return "uwfq";
  }

  @Override
  double virtualTime() {
    return v;
  }

  @Override
  void advance(long nowMs) {
    if (lastMs == Long.MIN_VALUE || nowMs <= lastMs) {
      lastMs = Math.max(nowMs, lastMs);
      return;
    }
    double dt = nowMs - lastMs;
    lastMs = nowMs;
    // Piecewise: V's rate changes each time a user without jobs reaches its virtual finish.
    while (dt > 0) {
      double weight = 0;
      double nextDeparture = Double.POSITIVE_INFINITY;
      for (JobBook.User u : book.users.values()) {
        boolean backlogged = !u.jobs.isEmpty();
        boolean virtuallyBusy = u.seen && u.finish > v;
        if (backlogged || virtuallyBusy) {
          weight += u.weight;
        }
        if (!backlogged && virtuallyBusy) {
          nextDeparture = Math.min(nextDeparture, u.finish);
        }
      }
      if (weight <= 0) {
        return; // nobody active: V waits
      }
      double rate = book.cores / weight;
      if (v + rate * dt >= nextDeparture) {
        dt -= (nextDeparture - v) / rate;
        v = nextDeparture;
      } else {
        v += rate * dt;
        dt = 0;
      }
    }
  }

  /** Brings the user's per-job virtual time to V; {@code jobs} is its job count since then. */
  private void touch(JobBook.User u, int jobs) {
    u.localTime += u.weight * (v - u.lastV) / Math.max(1, jobs);
    u.lastV = v;
  }

  @Override
  void jobJoined(JobBook.Job job, long nowMs) {
    JobBook.User u = job.user;
    touch(u, u.jobs.size() - 1);
    if (u.jobs.size() == 1) {
      if (!u.seen) {
        u.seen = true;
        u.start = v;
      } else if (nowMs - u.idleSinceMs > book.config.graceMs()) {
        u.start = Math.max(u.start, v);
      }
    }
    double active = Math.max(book.activeWeight(), u.weight);
    u.start = Math.max(u.start, v - book.config.graceMs() * book.cores / active);
    job.localStart = u.localTime;
    job.localDeadline = job.localStart + job.segmentCostMs();
    rechain(u);
  }

  @Override
  void estimateGrew(JobBook.Job job, long nowMs) {
    touch(job.user, job.user.jobs.size());
    job.localDeadline = job.localStart + job.segmentCostMs();
    rechain(job.user);
  }

  @Override
  void jobLeft(JobBook.Job job, long nowMs) {
    JobBook.User u = job.user;
    touch(u, u.jobs.size() + 1);
    // Reconcile: the user's backlog starts after what the job really used, not its estimate.
    u.start += (job.usedMs - job.usedAtJoin) / u.weight;
    job.deadline = Double.NaN;
    rechain(u);
  }

  private void rechain(JobBook.User u) {
    u.jobs.sort(BY_LOCAL_DEADLINE);
    double cursor = u.start;
    for (JobBook.Job j : u.jobs) {
      cursor += j.segmentCostMs() / u.weight;
      j.deadline = cursor;
    }
    u.finish = cursor;
  }

  @Override
  boolean userReleasable(JobBook.User u, long nowMs) {
    return u.finish <= v && super.userReleasable(u, nowMs);
  }

  @Override
  void keys(TaskSetView v, JobBook.TaskSet ts, long nowMs) {
    v.primary = ts.job.deadline;
    v.secondary = 0;
  }
}
