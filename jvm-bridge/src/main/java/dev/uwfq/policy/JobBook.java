package dev.uwfq.policy;

import dev.uwfq.policy.SchedulingPolicy.TaskSetInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The ledger every policy shares: live task sets, queued logical jobs and users, and what each
 * job has used. Each job's estimate is kept by the book's {@link EstimateTracker}; what a policy
 * orders by beyond that is its own state. State is released as work ends: a job's task sets
 * when it leaves, an ended job when it stops {@link Lingering} (its cost then goes to the
 * estimator's history), a user once it has no jobs and its policy no longer needs it.
 */
final class JobBook {
  /** What a submission did: the task set's job, and whether it (re)joined the queue or grew. */
  record Submission(Job job, TaskSet taskSet, boolean joined, boolean estimateGrew) {}

  final PolicyConfig config;
  final Map<Long, TaskSet> taskSets = new HashMap<>();
  final Map<String, Job> jobs = new HashMap<>();
  final Map<String, User> users = new HashMap<>();
  final Lingering lingering;
  final EstimateTracker estimates;
  // The task sets of ended jobs that still linger: a task that ends after its job left (the
  // original of a speculative copy, killed once the copy won; a cancelled stage's last task)
  // is still charged to it, so its real cost counts every attempt once.
  private final Map<Long, Job> endedTaskSets = new HashMap<>();
  private final Consumer<Job> forgotten;
  int cores;
  private long nextSeq;

  /** {@code forgotten} hears of every job the book stops remembering (its policy state may go). */
  JobBook(PolicyConfig config, Consumer<Job> forgotten) {
    this.config = config;
    this.cores = Math.max(1, config.cores());
    this.lingering = new Lingering(config.lingerMs(), config.maxLingering());
    this.estimates = new EstimateTracker(config, lingering);
    this.forgotten = forgotten;
  }

  TaskSet taskSet(TaskSetInfo info) {
    return taskSets.get(info.taskSetKey());
  }

  /** Records a submitted task set, with its user and logical job (new, continued or queued). */
  Submission submit(TaskSetInfo info, long nowMs) {
    config.weights().refresh(nowMs);
    String userName = info.user() == null ? config.defaultUser() : info.user();
    User user = users.computeIfAbsent(userName, n -> new User(n, config.weights().weightOf(n)));
    user.weight = config.weights().weightOf(userName);
    String jobId = info.logicalJob() == null ? "spark-job-" + info.sparkJobId() : info.logicalJob();
    Job job = jobs.get(jobId);
    boolean joined = job == null;
    if (joined) {
      job = lingering.revive(jobId, user);
      if (job == null) {
        job = new Job(jobId, info.jobKey(), user, nextSeq++, info.inputBytes());
        job.submittedMs = nowMs;
        estimates.start(job, info);
      } else {
        estimates.continued(job, info);
      }
      job.usedAtJoin = job.usedMs;
      jobs.put(jobId, job);
      estimates.queued(job);
      user.jobs.add(job);
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
    boolean grew = estimates.taskSetAdded(job, info);
    return new Submission(job, ts, joined, grew);
  }

  /**
   * Books a task's run time (and, if it succeeded, its end); returns its task set, or null
   * (unknown, or its job ended: then a lingering job is still charged the time).
   */
  TaskSet taskEnded(int stageId, int attempt, long runMs, boolean successful) {
    TaskSet ts = taskSets.get(TaskSetInfo.key(stageId, attempt));
    if (ts == null) {
      Job ended = endedTaskSets.get(TaskSetInfo.key(stageId, attempt));
      if (ended != null) {
        ended.usedMs += Math.max(0, runMs);
      }
      return null;
    }
    Job job = ts.job;
    job.usedMs += Math.max(0, runMs);
    if (successful) {
      ts.endedTasks++;
      job.endedTasks++;
      if (!ts.removed && ts.endedTasks <= ts.info.numTasks()) {
        job.remainingTasks = Math.max(0, job.remainingTasks - 1);
      }
    }
    return ts;
  }

  /** Whether {@code job} is queued (not ended, not displaced by another job of its id). */
  boolean queued(Job job) {
    return job != null && jobs.get(job.id) == job;
  }

  /** The task set left the scheduler; returns it if it was live (else null). */
  TaskSet removeTaskSet(int stageId, int attempt) {
    TaskSet ts = taskSets.get(TaskSetInfo.key(stageId, attempt));
    if (ts == null || ts.removed) {
      return null;
    }
    forgetLive(ts);
    return ts;
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
    estimates.left(job);
    for (Long key : job.taskSetKeys) {
      TaskSet ts = taskSets.get(key);
      if (ts != null && ts.job == job) {
        taskSets.remove(key);
        endedTaskSets.put(key, job);
        job.endedTaskSetKeys.add(key);
      }
    }
    job.taskSetKeys.clear();
    job.idleSinceMs = nowMs;
    if (job.user.jobs.isEmpty()) {
      job.user.idleSinceMs = nowMs;
    }
    if (!job.endedOnce) {
      job.endedOnce = true;
      config.estimator().onJobEnded(job.usedMs, job.endedTasks);
    }
    Job displaced = lingering.add(job);
    if (displaced != null) {
      forget(displaced);
    }
    return job;
  }

  private void forget(Job job) {
    for (Long key : job.endedTaskSetKeys) {
      endedTaskSets.remove(key, job);
    }
    job.endedTaskSetKeys.clear();
    forgotten.accept(job);
  }

  /** Forgets ended jobs past their linger time (their cost becomes history). */
  void expireLingering(long nowMs) {
    lingering.expire(nowMs, job -> {
      // Learned only now: until then a later action of the same block (an adaptive query's
      // next stage, say) may continue it, and a part of a job is not its cost.
      config.estimator().onJobCompleted(job.user.name, job.key, job.usedMs, job.inputBytes,
          job.endedTasks);
      forget(job);
    });
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
