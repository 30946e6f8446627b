package dev.uwfq.invariants;

import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded random stream of the events Spark gives a policy, in orders Spark can produce:
 * submissions (new jobs, a job's next stage, a stage's next attempt while the old one is still a
 * zombie), task ends that succeed or fail (0 ms to hours), removals, logical-job ends (after
 * the last task set left, or, as cancellation does, while task sets are still in the pool),
 * capacity changes (told at submissions), weights files rewritten with good and hostile values,
 * and pauses longer than the linger time. Job ids are never reused after a job ended.
 *
 * <p>The pool is bounded, as a real application's is (a cap drawn per run, 4 to 64 live task
 * sets): at the cap, submissions give way to task ends and removals, so jobs keep ending,
 * lingering and being released all run long, and each event costs the same at the millionth as
 * at the first.
 */
final class RandomEvents {
  enum Kind { SUBMIT, TASK_END, REMOVE, JOB_END, WEIGHTS }

  static final class Event {
    final Kind kind;
    TaskSetInfo info;
    long runMs;
    boolean ok;
    String job; // JOB_END: the logical job; WEIGHTS: the file's new content
    int cores;

    Event(Kind kind) {
      this.kind = kind;
    }

    @Override
    public String toString() {
      return kind + (info == null ? "" : " " + info) + (kind == Kind.TASK_END ? " run=" + runMs + " ok=" + ok : "")
          + (job == null ? "" : " " + job.replace('\n', ';'));
    }
  }

  private static final class Job {
    final String id;
    final String user;
    final String key;
    final long hint;
    final List<TaskSet> live = new ArrayList<>();
    boolean ended;

    Job(String id, String user, String key, long hint) {
      this.id = id;
      this.user = user;
      this.key = key;
      this.hint = hint;
    }
  }

  private static final class TaskSet {
    final TaskSetInfo info;
    final Job job;
    int remaining;
    boolean zombie; // a newer attempt replaced it, or its job was cancelled: no pending tasks

    TaskSet(TaskSetInfo info, Job job) {
      this.info = info;
      this.job = job;
      this.remaining = info.numTasks();
    }
  }

  private static final long[] HINTS = {-1, -1, -1, 0, 1, 200, 5_000, 60_000, 1_000_000_000_000_000L};
  private static final String[] KEYS = {null, "etl", "report", "scan", "k\u00e9y:with,separators=\u2603"};
  private static final String[] WEIGHTS = {"1e-308", "0.001", "0.5", "1", "2", "1000", "1e308",
      "NaN", "-1", "0", "oops", "Infinity"};

  private final SplittableRandom rnd;
  private final int users;
  private final double cancelRate;
  private final List<Job> jobs = new ArrayList<>(); // not yet ended, or with live task sets
  private final Deque<Event> queued = new ArrayDeque<>();
  private final int maxLive;
  private final int[] counts = new int[Kind.values().length];
  private int live = 0; // task sets in the pool
  private long now = 1_000;
  private int nextStage = 0;
  private int nextSparkJob = 0;
  private int nextJob = 0;
  private int cores = 4;

  RandomEvents(long seed, int users, double cancelRate) {
    this.rnd = new SplittableRandom(seed);
    this.users = Math.max(1, users);
    this.cancelRate = cancelRate;
    this.maxLive = 4 + rnd.nextInt(61);
  }

  /** Events of each kind so far, drain included: "submit=N task_end=N ...". */
  String counts() {
    StringBuilder out = new StringBuilder();
    for (Kind k : Kind.values()) {
      out.append(out.length() == 0 ? "" : " ").append(k.name().toLowerCase()).append('=')
          .append(counts[k.ordinal()]);
    }
    return out.toString();
  }

  long now() {
    return now;
  }

  Event next() {
    Event e = draw();
    counts[e.kind.ordinal()]++;
    return e;
  }

  private Event draw() {
    now += rnd.nextInt(20);
    if (rnd.nextDouble() < 0.005) {
      now += InvariantCheck.LINGER_MS * 3; // ended jobs stop lingering, idle users leave
    }
    if (!queued.isEmpty()) {
      return queued.poll();
    }
    double r = rnd.nextDouble();
    List<TaskSet> running = liveWith(false);
    if (live >= maxLive && r < 0.17) { // the pool is full: work ends instead of arriving
      return r < 0.05 ? removeOne() : taskEnd(running);
    }
    if (r < 0.10 || jobs.isEmpty()) {
      return jobs.size() < 24 ? submitNewJob() : removeOne();
    } else if (r < 0.15) {
      Job j = pick(false);
      return j == null ? submitNewJob() : submit(j, newStage(j, 0));
    } else if (r < 0.17 && !running.isEmpty()) {
      TaskSet old = running.get(rnd.nextInt(running.size())); // a fetch failure: next attempt
      old.zombie = true;
      old.remaining = 0;
      return submit(old.job, new TaskSetInfo(old.info.stageId(), old.info.stageAttempt() + 1,
          old.info.sparkJobId(), old.job.user, old.job.id, old.job.key, old.job.hint, -1,
          old.info.numTasks()));
    } else if (r < 0.17 + cancelRate) {
      Job j = pick(true);
      if (j != null) { // cancelled: its job ends while its task sets are still in the pool
        j.ended = true;
        for (TaskSet t : j.live) {
          t.zombie = true;
          t.remaining = 0;
        }
        Event e = new Event(Kind.JOB_END);
        e.job = j.id;
        return e;
      }
    } else if (r < 0.175 + cancelRate) {
      Event e = new Event(Kind.WEIGHTS);
      StringBuilder text = new StringBuilder();
      for (int u = 0; u < users; u++) {
        if (rnd.nextBoolean()) {
          text.append('u').append(u).append('=').append(WEIGHTS[rnd.nextInt(WEIGHTS.length)]).append('\n');
        }
      }
      e.job = text.toString();
      return e;
    } else if (r < 0.30) {
      return removeOne();
    }
    return taskEnd(running); // most events
  }

  /** A task of a running task set ends; a removal when none has tasks left to run. */
  private Event taskEnd(List<TaskSet> running) {
    List<TaskSet> busy = new ArrayList<>();
    for (TaskSet t : running) {
      if (t.remaining > 0) {
        busy.add(t);
      }
    }
    if (busy.isEmpty()) {
      return removeOne();
    }
    TaskSet t = busy.get(rnd.nextInt(busy.size()));
    Event e = new Event(Kind.TASK_END);
    e.info = t.info;
    double p = rnd.nextDouble();
    e.runMs = p < 0.05 ? 0 : p < 0.06 ? 10_000_000 : rnd.nextInt(3_000);
    e.ok = rnd.nextDouble() < 0.9;
    if (e.ok) {
      t.remaining--;
    }
    return e;
  }

  /** Events that end everything still live: every task set removed, every job ended. */
  List<Event> drain() {
    List<Event> out = new ArrayList<>(queued);
    queued.clear();
    for (Job j : new ArrayList<>(jobs)) {
      for (TaskSet t : new ArrayList<>(j.live)) {
        Event e = new Event(Kind.REMOVE);
        e.info = t.info;
        out.add(e);
      }
      if (!j.ended) {
        Event e = new Event(Kind.JOB_END);
        e.job = j.id;
        out.add(e);
      }
    }
    jobs.clear();
    live = 0;
    for (Event e : out) {
      counts[e.kind.ordinal()]++;
    }
    return out;
  }

  /** One view per task set in the pool, zombies included (Spark keeps them until removal). */
  List<TaskSetView> views() {
    List<TaskSetView> out = new ArrayList<>();
    for (Job j : jobs) {
      for (TaskSet t : j.live) {
        int running = Math.min(t.remaining, 2);
        out.add(new TaskSetView(t.info, running, t.remaining - running, t));
      }
    }
    return out;
  }

  TaskSetInfo probe() {
    return new TaskSetInfo(1_000_000_000, 0, 1_000_000_000, "probe", "probe-1", null, 1, -1, 1);
  }

  TaskSetInfo probe2() {
    return new TaskSetInfo(1_000_000_001, 0, 1_000_000_001, "probe", "probe-2", null, 1, -1, 1);
  }

  private Event submitNewJob() {
    String user = "u" + rnd.nextInt(users);
    Job j = new Job("job-" + nextJob++, user, KEYS[rnd.nextInt(KEYS.length)],
        HINTS[rnd.nextInt(HINTS.length)]);
    jobs.add(j);
    return submit(j, newStage(j, rnd.nextInt(12) + (rnd.nextInt(50) == 0 ? 0 : 1)));
  }

  private TaskSetInfo newStage(Job j, int tasks) {
    int stage = nextStage++;
    long bytes = rnd.nextBoolean() ? -1 : rnd.nextLong(1L << 40);
    return new TaskSetInfo(stage, 0, nextSparkJob++, j.user, j.id, j.key, j.hint, bytes,
        tasks == 0 ? rnd.nextInt(16) + 1 : tasks);
  }

  private Event submit(Job j, TaskSetInfo info) {
    TaskSet t = new TaskSet(info, j);
    j.live.add(t);
    live++;
    Event e = new Event(Kind.SUBMIT);
    e.info = info;
    if (rnd.nextDouble() < 0.1) {
      cores = 1 + rnd.nextInt(64); // executors came or went
    }
    e.cores = cores;
    return e;
  }

  /** Removes a finished (or zombie) task set; its job ends now or later once nothing is live. */
  private Event removeOne() {
    List<TaskSet> done = new ArrayList<>();
    for (Job j : jobs) {
      for (TaskSet t : j.live) {
        if (t.remaining == 0) {
          done.add(t);
        }
      }
    }
    if (done.isEmpty()) {
      for (Job j : jobs) {
        if (!j.ended && j.live.isEmpty()) {
          return endJob(j); // a job whose end was still to come
        }
      }
      return live > 0 ? taskEnd(liveWith(false)) : submitNewJob();
    }
    TaskSet t = done.get(rnd.nextInt(done.size()));
    t.job.live.remove(t);
    live--;
    Event e = new Event(Kind.REMOVE);
    e.info = t.info;
    if (t.job.live.isEmpty()) {
      if (t.job.ended) {
        jobs.remove(t.job);
      } else if (rnd.nextDouble() < 0.8) {
        queued.add(endJob(t.job));
      }
    }
    return e;
  }

  private Event endJob(Job j) {
    j.ended = true;
    jobs.remove(j);
    Event e = new Event(Kind.JOB_END);
    e.job = j.id;
    return e;
  }

  /** A random job not yet ended ({@code withLive}: one with a task set in the pool), or null. */
  private Job pick(boolean withLive) {
    List<Job> c = new ArrayList<>();
    for (Job j : jobs) {
      if (!j.ended && (!withLive || !j.live.isEmpty())) {
        c.add(j);
      }
    }
    return c.isEmpty() ? null : c.get(rnd.nextInt(c.size()));
  }

  private List<TaskSet> liveWith(boolean zombies) {
    List<TaskSet> out = new ArrayList<>();
    for (Job j : jobs) {
      for (TaskSet t : j.live) {
        if (zombies || !t.zombie) {
          out.add(t);
        }
      }
    }
    return out;
  }
}
