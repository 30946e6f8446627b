package dev.uwfq.policy;

import dev.uwfq.estimate.CostEstimator;
import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bookkeeping every policy shares: live task sets, logical jobs and users, what each job
 * has used, and its cost estimate refined from observed task times. Policies add only their
 * ordering. State is released as work ends: a task set when its logical job leaves, an ended
 * logical job after {@code lingerMs} (its cost then goes to the estimator's history), a user
 * once it has no jobs and the policy no longer needs it.
 */
final class JobBook {

  static final class TaskSet {
    final TaskSetInfo info;
    final Job job;
    int endedTasks;
    int runningTasks; // as last seen by an offer round
    boolean removed;
    double deadline = Double.NaN; // cfq: this stage's virtual finish
    final RunningTasks running = new RunningTasks();

    TaskSet(TaskSetInfo info, Job job) {
      this.info = info;
      this.job = job;
    }
  }

  static final class Job {
    final String id;
    final String key;
    final User user;
    final long seq; // order of first arrival: FIFO over logical jobs, and the last tie-break
    final long inputBytes;
    double estimateMs; // of the whole logical job
    String source;
    double priorMsPerTask = Double.NaN; // set when the estimate was scaled by task count
    long tasksSeen; // in all task sets submitted so far
    double usedMs;
    double usedAtJoin; // usedMs when the current queue segment began
    int endedTasks;
    int remainingTasks; // not yet ended, in live task sets
    int liveTaskSets;
    long idleSinceMs;
    final List<Long> taskSetKeys = new ArrayList<>();
    // Fair-queue state (uwfq, cfq): per-user deadline and global virtual deadline.
    double localStart;
    double localDeadline = Double.NaN; // NaN until it first joins
    double deadline = Double.NaN;
    // What its running tasks showed at the last ordering round (see refineFromRunning).
    int runningNow = -1; // -1: not yet summed this round
    double runningElapsedMs;

    Job(String id, String key, User user, long seq, long inputBytes) {
      this.id = id;
      this.key = key;
      this.user = user;
      this.seq = seq;
      this.inputBytes = inputBytes;
    }

    /** What the current queue segment is expected to cost in all. */
    double segmentCostMs() {
      return Math.max(1.0, estimateMs - usedAtJoin);
    }

    /** What the job is still expected to cost (at least 1 core-ms while it is queued). */
    double remainingCostMs() {
      return Math.max(1.0, estimateMs - usedMs);
    }
  }

  static final class User {
    final String name;
    double weight;
    final List<Job> jobs = new ArrayList<>(); // active logical jobs (policies may keep them sorted)
    long idleSinceMs;
    // Fair-queue state (uwfq): virtual start and finish, per-user virtual time.
    double start;
    double finish;
    double localTime;
    double lastV;
    boolean seen;
    double servedMs; // task run time received so far (ujf breaks ties on it)

    User(String name, double weight) {
      this.name = name;
      this.weight = weight;
    }
  }

  final PolicyConfig config;
  final Map<Long, TaskSet> taskSets = new HashMap<>();
  final Map<String, Job> jobs = new HashMap<>();
  final LinkedHashMap<String, Job> lingering = new LinkedHashMap<>(); // oldest idle first
  // The latest lingering job per (user, key): ended, its cost not yet history (see submit).
  private final Map<String, Job> lastEnded = new HashMap<>();
  final Map<String, User> users = new HashMap<>();
  int cores;
  private long nextSeq;

  JobBook(PolicyConfig config) {
    this.config = config;
    this.cores = Math.max(1, config.cores());
  }

  TaskSet taskSet(TaskSetInfo info) {
    return taskSets.get(info.taskSetKey());
  }

  /** Records a submitted task set; returns its job, and whether the job (re)joined the queue. */
  Job submit(TaskSetInfo info, long nowMs, boolean[] joined) {
    config.weights().refresh(nowMs);
    String userName = info.user() == null ? config.defaultUser() : info.user();
    User user = users.computeIfAbsent(userName, n -> new User(n, config.weights().weightOf(n)));
    user.weight = config.weights().weightOf(userName);
    String jobId = info.logicalJob() == null ? "spark-job-" + info.sparkJobId() : info.logicalJob();
    Job job = jobs.get(jobId);
    joined[0] = false;
    if (job == null) {
      job = lingering.get(jobId);
      if (job != null && job.user != user) {
        job = null; // same id, other user: a different job
      } else if (job != null) {
        lingering.remove(jobId);
        lastEnded.remove(userKey(job), job);
      }
      if (job == null) {
        job = new Job(jobId, info.jobKey(), user, nextSeq++, info.inputBytes());
        CostEstimator.Estimate e = config.estimator().estimate(userName, info.jobKey(),
            info.costHintMs(), info.inputBytes(), Math.max(0, info.numTasks()));
        job.estimateMs = Math.max(1.0, e.coreMs());
        job.source = e.source();
        Job previous = job.key == null ? null : lastEnded.get(userKey(job));
        if (previous != null && !e.source().equals("hint") && !e.source().startsWith("user-key")
            && previous.usedMs >= 1) {
          // The same user's same kind of job just ended: better than any other level, though
          // it becomes history only when it stops lingering (a user's next job often comes at
          // once, as in a loop).
          job.estimateMs = previous.usedMs;
          job.source = "user-key-ended";
        }
        if (job.source.endsWith("-tasks") && info.numTasks() > 0) {
          job.priorMsPerTask = job.estimateMs / info.numTasks();
        }
      } else if (job.estimateMs - job.usedMs < 1.0) {
        // A continuation that outgrew its estimate: expect as much again as this stage's tasks
        // took on average so far.
        double mean = job.endedTasks > 0 ? job.usedMs / job.endedTasks : config.defaultCostMs();
        job.estimateMs = job.usedMs + mean * Math.max(1, info.numTasks());
      }
      job.usedAtJoin = job.usedMs;
      jobs.put(jobId, job);
      user.jobs.add(job);
      joined[0] = true;
    }
    TaskSet ts = new TaskSet(info, job);
    TaskSet previous = taskSets.put(info.taskSetKey(), ts);
    if (previous != null && !previous.removed) {
      forgetLive(previous);
    }
    job.taskSetKeys.add(info.taskSetKey());
    job.liveTaskSets++;
    job.remainingTasks += Math.max(0, info.numTasks());
    job.tasksSeen += Math.max(0, info.numTasks());
    if (job.tasksSeen * job.priorMsPerTask > job.estimateMs) {
      // An estimate per task grows with the job's later task sets (a job group's Spark jobs).
      job.estimateMs = job.tasksSeen * job.priorMsPerTask;
    }
    return job;
  }

  /**
   * Accounts a task's run time; returns its job (null if unknown), with {@code grew[0]} telling
   * whether the job's estimate grew.
   */
  Job taskEnded(int stageId, int attempt, long runMs, boolean successful, boolean[] grew) {
    grew[0] = false;
    TaskSet ts = taskSets.get(TaskSetInfo.key(stageId, attempt));
    if (ts == null) {
      return null;
    }
    Job job = ts.job;
    double run = Math.max(0, runMs);
    job.usedMs += run;
    job.user.servedMs += run;
    if (!successful) {
      return job; // a failed task is retried: its time is used, the remaining count stays
    }
    ts.endedTasks++;
    job.endedTasks++;
    if (!ts.removed && ts.endedTasks <= ts.info.numTasks()) {
      job.remainingTasks = Math.max(0, job.remainingTasks - 1);
    }
    double perTask = job.usedMs / job.endedTasks;
    boolean hinted = "hint".equals(job.source);
    if (hinted) {
      // A hint is trusted until the job has used it all, and past that its remaining tasks
      // are still costed at the hint's rate: the first tasks to end over-project (file scans
      // run their largest splits first) and one stalled task (GC, a busy host) made a hinted
      // small job look six times its size and wait behind other users' work.
      if (job.usedMs < job.estimateMs) {
        return job;
      }
      perTask = Math.min(perTask, job.estimateMs / Math.max(1, job.endedTasks + job.remainingTasks));
    }
    double projected = job.usedMs + job.remainingTasks * perTask;
    if (projected > job.estimateMs) {
      job.estimateMs = projected;
      grew[0] = true;
    }
    return job;
  }

  /**
   * Grows the job's estimate to what its running tasks show, from {@code runningNow} and
   * {@code runningElapsedMs} (the caller sums them over the job's task sets); returns whether it
   * grew by more than {@value #GROWTH_STEP}x, so that the policy re-sorts only on real news.
   * A hint is the caller's knowledge and is left to the task-end projection. A learned estimate
   * grows to the projection: every task not yet ended costs the larger of the ended tasks' mean
   * and the running tasks' mean elapsed time (a stage's first tasks to end are its shortest, and
   * long tasks show while they run).
   */
  boolean refineFromRunning(Job job) {
    if (job.runningNow == 0 || "hint".equals(job.source)) {
      return false;
    }
    double perTask = job.runningElapsedMs / job.runningNow;
    if (job.endedTasks > 0) {
      perTask = Math.max(perTask, job.usedMs / job.endedTasks);
    }
    double projected = job.usedMs + Math.max(job.remainingTasks, job.runningNow) * perTask;
    if (projected > job.estimateMs * GROWTH_STEP) {
      job.estimateMs = projected;
      return true;
    }
    return false;
  }

  static final double GROWTH_STEP = 1.05;

  void removeTaskSet(int stageId, int attempt) {
    TaskSet ts = taskSets.get(TaskSetInfo.key(stageId, attempt));
    if (ts != null && !ts.removed) {
      forgetLive(ts);
    }
  }

  private void forgetLive(TaskSet ts) {
    ts.removed = true;
    ts.runningTasks = 0;
    ts.job.liveTaskSets--;
    ts.job.remainingTasks =
        Math.max(0, ts.job.remainingTasks - Math.max(0, ts.info.numTasks() - ts.endedTasks));
  }

  /** The job leaves the queue (all its Spark jobs ended); returns it, or null if still live. */
  Job leave(String jobId, long nowMs) {
    Job job = jobs.get(jobId);
    if (job == null || job.liveTaskSets > 0) {
      return null;
    }
    jobs.remove(jobId);
    job.user.jobs.remove(job);
    for (Long key : job.taskSetKeys) {
      TaskSet ts = taskSets.get(key);
      if (ts != null && ts.job == job) {
        taskSets.remove(key);
      }
    }
    job.taskSetKeys.clear();
    job.idleSinceMs = nowMs;
    if (job.user.jobs.isEmpty()) {
      job.user.idleSinceMs = nowMs;
    }
    lingering.put(jobId, job);
    if (job.key != null) {
      lastEnded.put(userKey(job), job);
    }
    return job;
  }

  /** Forgets ended jobs past their linger time (their cost becomes history). */
  void expireLingering(long nowMs) {
    Iterator<Job> it = lingering.values().iterator();
    while (it.hasNext()) {
      Job job = it.next();
      if (nowMs - job.idleSinceMs < config.lingerMs() && lingering.size() <= config.maxLingering()) {
        break;
      }
      // Learned only now: until then a later action of the same block (an adaptive query's
      // next stage, say) may continue it, and a part of a job is not its cost.
      config.estimator().onJobCompleted(job.user.name, job.key, job.usedMs, job.inputBytes,
          job.endedTasks);
      it.remove();
      if (job.key != null) {
        lastEnded.remove(userKey(job), job);
      }
    }
  }

  private static String userKey(Job job) {
    return job.user.name + '\u0000' + job.key;
  }

  /** Sum of the weights of users with active jobs. */
  double activeWeight() {
    double sum = 0;
    for (User u : users.values()) {
      if (!u.jobs.isEmpty()) {
        sum += u.weight;
      }
    }
    return sum;
  }
}
