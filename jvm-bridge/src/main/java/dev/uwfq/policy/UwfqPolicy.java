package dev.uwfq.policy;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * User-weighted fair queuing (after arXiv 2510.15485, with weights and reconciliation).
 *
 * <p>Global virtual time V is the service (core-ms per unit of weight) each user with active
 * jobs has received under weighted sharing: it grows by each ended task's run time divided by
 * the sum of active weights (C / W per millisecond under full load, as in GPS, but it never
 * runs ahead of the cluster when cores idle).
 * Inside a user, jobs share the user's service equally, so they would finish in the order of
 * their per-user deadline d = (user's per-job virtual time at arrival) + cost: a short job
 * overtakes the same user's long one. The user's jobs are chained in that order from the
 * user's virtual start S: D = S + sum of remaining costs / weight, where S grows by every
 * task's run time / weight as it ends. Task sets run earliest D first.
 *
 * <p>Improvements over the paper's runs: weights; estimates stamped synchronously at
 * submission; estimates that grow as observed task times show a job is bigger; and real
 * service reconciles virtual time (users are charged what their tasks really ran, as they end;
 * a job that ends below its estimate gives the rest back). As in GPS, a user stays in V's
 * active set until V reaches its virtual finish, even when its jobs ended sooner, and it
 * (re)starts at max(V, its finish), so idling never banks priority; an active user's credit
 * for using less than its share is bounded by {@code graceMs} of the cluster's service.
 */
public final class UwfqPolicy extends BasePolicy {
  /** A user's fair-queue clock: virtual start and finish, per-job virtual time. */
  private static final class Clock {
    double start;
    double finish;
    double localTime;
    double lastV;
    boolean seen;
  }

  /** A job's place among its user's jobs (per-user deadline) and its chained global deadline. */
  private static final class Place {
    final double localStart;
    double localDeadline;
    double deadline = Double.NaN;

    Place(double localStart, double localDeadline) {
      this.localStart = localStart;
      this.localDeadline = localDeadline;
    }
  }

  private final Map<User, Clock> clocks = new HashMap<>();
  // Kept while the job is queued or lingers: a continuation keeps its place.
  private final Map<Job, Place> places = new HashMap<>();
  private final Comparator<Job> byLocalDeadline =
      Comparator.<Job>comparingDouble(j -> places.get(j).localDeadline).thenComparingLong(j -> j.seq);
  private double v = 0;

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
  void taskEnded(Job job, double runMs, boolean grew, long nowMs) {
    // Self-clocked: V grows by the service the cluster really delivered, per unit of active
    // weight (under full load that is C / W per millisecond, as in GPS). V never runs ahead of
    // the cluster while cores sit idle or tasks run slower than planned.
    double w = virtuallyActiveWeight();
    if (w > 0) {
      v += runMs / w;
    }
    if (job == null) {
      return;
    }
    // Charge the user now, not when the job ends: its start moves by what it got, and only
    // remaining costs are chained, so deadlines stay put while work is done as planned and a
    // job that is slow to finish cannot hide its usage.
    User u = job.user;
    Clock c = touch(u, u.jobs.size());
    c.start += runMs / u.weight;
    // A grown estimate lengthens the chain (later deadlines move out) but keeps the job's
    // place among its user's jobs: re-sorting it behind the user's later jobs starved
    // half-run jobs whose first tasks were the largest splits.
    if (grew) {
      replaceIfGuessWasFarOff(job);
    }
    rechain(u, w);
  }

  @Override
  void estimateGrew(Job job, long nowMs) {
    // As for a task end: later deadlines of the user move out, the job keeps its place.
    replaceIfGuessWasFarOff(job);
    rechain(job.user, virtuallyActiveWeight());
  }

  /**
   * The exception to keeping its place: a learned estimate (a guess from other jobs) that grew
   * past {@value #FAR_OFF}x the cost its place was given for. A job group first guessed small
   * that shows thousands of core-seconds must not hold its user's next small jobs behind all
   * of it (docs/estimator-evaluation.md, the trace with the partitioner). The over-shoot of a
   * projection from skewed first tasks stays under that factor.
   */
  private void replaceIfGuessWasFarOff(Job job) {
    Place place = places.get(job);
    double placedFor = place.localDeadline - place.localStart;
    if (job.hinted() || !(job.estimateMs > FAR_OFF * placedFor)) {
      return;
    }
    double factor = job.estimateMs / placedFor;
    for (Job j : job.user.jobs) {
      // The same user's guesses of the same kind that arrived with it and have not started
      // were as far off: a burst of identical jobs moves together and keeps its order (moved
      // one by one, each would go behind all the others).
      Place p = places.get(j);
      double placed = p.localDeadline - p.localStart;
      if (j == job || (!j.hinted() && Objects.equals(j.key, job.key)
          && p.localStart == place.localStart && j.usedMs == 0
          && FAR_OFF * placed < job.estimateMs)) {
        p.localDeadline = p.localStart + placed * factor;
        j.estimateMs = Math.max(j.estimateMs, placed * factor);
      }
    }
  }

  static final double FAR_OFF = 3;

  /** Brings the user's per-job virtual time to V; {@code jobs} is its job count since then. */
  private Clock touch(User u, int jobs) {
    Clock c = clocks.computeIfAbsent(u, k -> new Clock());
    c.localTime += u.weight * (v - c.lastV) / Math.max(1, jobs);
    c.lastV = v;
    return c;
  }

  @Override
  void jobJoined(Job job, long nowMs) {
    User u = job.user;
    Clock c = touch(u, u.jobs.size() - 1);
    if (u.jobs.size() == 1) {
      // WFQ: start = max(V, previous finish). An idle user banks nothing: it stayed in V's
      // active set until V reached its finish, so time spent idle is not credit.
      c.start = c.seen ? Math.max(c.start, v) : v;
      c.seen = true;
    }
    double active = Math.max(virtuallyActiveWeight(), u.weight);
    c.start = Math.max(c.start, v - book.config.graceMs() * book.cores / active);
    if (!places.containsKey(job)) {
      places.put(job, new Place(c.localTime, c.localTime + job.estimateMs));
    }
    // else a continuation (the next Spark job of a logical job that just ended, e.g. AQE's
    // result stage): it keeps its place among its user's jobs. Re-queued at today's local
    // time, and with an estimate grown on slow first tasks, it went behind every job its user
    // had queued meanwhile, and a job with one tiny task left finished last.
    rechain(u, active);
  }

  @Override
  void jobLeft(Job job, long nowMs) {
    User u = job.user;
    touch(u, u.jobs.size() + 1);
    // Its usage is already charged; dropping its remaining estimate gives an over-estimate back.
    places.get(job).deadline = Double.NaN;
    rechain(u, virtuallyActiveWeight());
    if (book.activeWeight() == 0) {
      // No work left anywhere: the GPS system drains, so V moves to the last virtual finish.
      // (V is clocked by task ends; without this an idle cluster would hold users forever.)
      for (Clock other : clocks.values()) {
        v = Math.max(v, other.finish);
      }
    }
  }

  /**
   * The weight V is shared by: users with jobs, and users whose jobs ended before their
   * virtual finish (they were served ahead of fair share). As in GPS, such a user stays in the
   * active set until V reaches its finish. Dropping it at its real end let V run ahead of the
   * users that had waited for it, who then held that gap as credit and made the next short
   * job queue behind them.
   */
  private double virtuallyActiveWeight() {
    double sum = 0;
    for (User u : book.users.values()) {
      if (!u.jobs.isEmpty() || finish(u) > v) {
        sum += u.weight;
      }
    }
    return sum;
  }

  /** {@code activeWeight}: the sum of active users' weights, which the caller already has. */
  private void rechain(User u, double activeWeight) {
    // Credit for service not received stays bounded while the user is active too, not only when
    // it (re)joins: a user whose jobs could not use their share (few tasks, stage boundaries)
    // must not bank it and later starve everyone with a burst of hundreds of tasks.
    Clock c = clocks.computeIfAbsent(u, k -> new Clock());
    double active = Math.max(activeWeight, u.weight);
    c.start = Math.max(c.start, v - book.config.graceMs() * book.cores / active);
    u.jobs.sort(byLocalDeadline);
    double cursor = c.start;
    for (Job j : u.jobs) {
      cursor += j.remainingCostMs() / u.weight;
      places.get(j).deadline = cursor;
    }
    c.finish = cursor;
  }

  @Override
  void repair(long nowMs) {
    v = 0;
    for (Clock c : clocks.values()) {
      c.start = 0;
      c.finish = 0;
      c.localTime = 0;
      c.lastV = 0;
    }
    for (User u : book.users.values()) {
      for (Job j : u.jobs) {
        if (!Double.isFinite(j.estimateMs)) {
          j.estimateMs = Math.max(1.0, j.usedMs + book.config.defaultCostMs());
        }
        Place p = places.get(j);
        if (p != null) {
          places.put(j, new Place(0, j.remainingCostMs()));
        }
      }
    }
    double w = virtuallyActiveWeight();
    for (User u : book.users.values()) {
      if (!u.jobs.isEmpty()) {
        rechain(u, w);
      }
    }
  }

  private double finish(User u) {
    Clock c = clocks.get(u);
    return c == null ? 0 : c.finish;
  }

  @Override
  boolean userReleasable(User u, long nowMs) {
    return finish(u) <= v && super.userReleasable(u, nowMs);
  }

  @Override
  void userForgotten(User u) {
    clocks.remove(u);
  }

  @Override
  void jobForgotten(Job job) {
    places.remove(job);
  }

  @Override
  double virtualStart(User u) {
    Clock c = clocks.get(u);
    return c != null && c.seen ? c.start : Double.NaN;
  }

  @Override
  double virtualFinish(User u) {
    Clock c = clocks.get(u);
    return c != null && c.seen ? c.finish : Double.NaN;
  }

  @Override
  double deadline(Job job) {
    Place p = places.get(job);
    return p == null ? Double.NaN : p.deadline;
  }

  @Override
  void keys(TaskSetView v, TaskSet ts, long nowMs) {
    v.primary = deadline(ts.job);
    v.secondary = 0;
  }
}
