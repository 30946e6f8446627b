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
    long inputBytes; // what its queries read so far; grows with a job group's later queries
    double estimateMs; // of the whole logical job
    String source;
    double priorMsPerTask = Double.NaN; // set when the estimate was scaled by task count
    // A guess from other kinds of jobs, and no task of its own has run yet: it follows what
    // jobs of its key show (see follow).
    boolean cold;
    boolean endedOnce; // its first end was told to the estimator (onJobEnded)
    double guessMs; // the estimator's guess, while cold
    String guessSource;
    long tasksSeen; // in all task sets submitted so far
    double usedMs;
    double usedAtJoin; // usedMs when the current queue segment began
    int endedTasks;
    int remainingTasks; // not yet ended, in live task sets
    int liveTaskSets;
    long idleSinceMs;
    long submittedMs; // when it first joined the queue
    long startedMs = -1; // the round before its first task was seen running; -1 while waiting
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
  // Queued jobs by key, any user, and the latest lingering job per key: what a cold job follows.
  private final Map<String, List<Job>> liveByKey = new HashMap<>();
  private final Map<String, Job> lastEndedByKey = new HashMap<>();
  private final List<Job> peersChanged = new ArrayList<>();
  final Map<String, User> users = new HashMap<>();
  int cores;
  private long nextSeq;
  boolean inputGrewEstimate; // set by submit: a queued job's estimate grew with its input

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
    inputGrewEstimate = false;
    if (job == null) {
      job = lingering.get(jobId);
      if (job != null && job.user != user) {
        job = null; // same id, other user: a different job
      } else if (job != null) {
        lingering.remove(jobId);
        lastEnded.remove(userKey(job), job);
        if (job.key != null) {
          lastEndedByKey.remove(job.key, job);
        }
      }
      if (job == null) {
        job = new Job(jobId, info.jobKey(), user, nextSeq++, info.inputBytes());
        job.submittedMs = nowMs;
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
        job.cold = !e.knowsJob() && !job.source.equals("user-key-ended") && job.key != null;
        job.guessMs = job.estimateMs;
        job.guessSource = job.source;
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
      if (job.key != null) {
        liveByKey.computeIfAbsent(job.key, k -> new ArrayList<>()).add(job);
      }
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
      job.guessMs = Math.max(job.guessMs, job.estimateMs);
    }
    if (info.inputBytes() > job.inputBytes) {
      inputGrew(job, info.inputBytes());
    }
    if (job.cold) {
      follow(job);
    }
    return job;
  }

  /**
   * A job already known shows more input: its group's next query, or its query after a leading
   * Spark job that read no files (a parquet schema inference). A learned estimate grows to what
   * its key's cost per byte says for all of it.
   */
  private void inputGrew(Job job, long inputBytes) {
    job.inputBytes = inputBytes;
    if ("hint".equals(job.source)) {
      return;
    }
    CostEstimator.Estimate e = config.estimator().estimate(job.user.name, job.key, -1, inputBytes,
        job.tasksSeen);
    if (e.source().endsWith("-bytes") && e.coreMs() > job.estimateMs) {
      job.estimateMs = e.coreMs();
      job.source = e.source();
      job.cold = false; // its key's history knows it now
      inputGrewEstimate = true;
    }
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
    job.cold = false;
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
   * grows to the projection: the ended tasks' time, the running tasks' elapsed time (at least
   * the mean task each), and the mean task for each task not started (the ended tasks' mean, or
   * with none ended the running tasks' mean elapsed time: long tasks show while they run).
   * Running tasks count only for themselves: the tasks seen running are the long ones (the
   * short ones came and went between rounds), and costing every remaining task at their mean
   * projected twice a job's real size (simulated S3 with the partitioner).
   */
  boolean refineFromRunning(Job job) {
    if (job.runningNow > 0) {
      job.cold = false;
    }
    if (job.runningNow == 0 || "hint".equals(job.source)) {
      return false;
    }
    double runningMean = job.runningElapsedMs / job.runningNow;
    double perTask = job.endedTasks > 0 ? job.usedMs / job.endedTasks : runningMean;
    double notStarted = Math.max(0, job.remainingTasks - job.runningNow);
    double projected = job.usedMs + Math.max(job.runningElapsedMs, job.runningNow * perTask)
        + notStarted * perTask;
    if (projected > job.estimateMs * GROWTH_STEP) {
      job.estimateMs = projected;
      return true;
    }
    return false;
  }

  static final double GROWTH_STEP = 1.05;

  /**
   * A never-seen job's first guess comes from other kinds of jobs; a job of its own key that just
   * ended, or else is running, knows better, unless the key's history shows its jobs vary too
   * much to be one kind. The cold job takes that peer's cost (scaled by input bytes, else by
   * task count, when both jobs know theirs) until its own tasks show: four users' identical jobs
   * arriving together were each guessed small in turn, overtook the one running and were
   * interleaved (simulated S3 with the partitioner: DVR 0.17, the oracle 0.01). An ended peer's
   * cost is the truth; a running peer's is a projection, so the cold job takes the largest of
   * those and its own guess, and drops back to the truth when the peer ends.
   */
  private boolean follow(Job cold) {
    if (config.estimator().keyVaries(cold.key)) {
      return false;
    }
    double ms;
    String source;
    Job ended = lastEndedByKey.get(cold.key);
    if (ended != null && ended.usedMs >= 1) {
      ms = scaled(ended.usedMs, ended, cold);
      source = "key-ended";
    } else {
      ms = cold.guessMs;
      source = cold.guessSource;
      for (Job peer : liveByKey.getOrDefault(cold.key, List.of())) {
        double peerMs = peer.cold ? 0 : scaled(peer.estimateMs, peer, cold);
        if (peerMs > ms) {
          ms = peerMs;
          source = "key-live";
        }
      }
    }
    ms = Math.max(1.0, ms);
    boolean changed = ms != cold.estimateMs;
    cold.estimateMs = ms;
    cold.source = source;
    return changed;
  }

  private static double scaled(double peerMs, Job peer, Job cold) {
    if (cold.inputBytes > 0 && peer.inputBytes > 0) {
      return peerMs * cold.inputBytes / peer.inputBytes;
    }
    if (cold.tasksSeen > 0 && peer.tasksSeen > 0) {
      return peerMs * cold.tasksSeen / peer.tasksSeen;
    }
    return peerMs;
  }

  /**
   * After {@code peer}'s estimate grew, or it ended: the cold jobs of its key whose estimate
   * changed with it (the list is reused: read it before the next call). One pass over the key's
   * queued jobs, under Spark's scheduler lock: only what {@code peer} changed is applied
   * (follow's maximum over the other peers is already in each cold job's estimate).
   */
  List<Job> coldPeersChanged(Job peer) {
    peersChanged.clear();
    if (peer.key == null || config.estimator().keyVaries(peer.key)) {
      return peersChanged;
    }
    Job ended = lastEndedByKey.get(peer.key);
    boolean hasTruth = ended != null && ended.usedMs >= 1;
    boolean isTruth = hasTruth && ended == peer;
    if (!isTruth && (hasTruth || peer.cold)) {
      return peersChanged; // an ended job's cost outranks a projection; a cold job is no news
    }
    for (Job cold : liveByKey.getOrDefault(peer.key, List.of())) {
      if (!cold.cold || cold == peer) {
        continue;
      }
      double ms = Math.max(1.0, scaled(isTruth ? peer.usedMs : peer.estimateMs, peer, cold));
      if (isTruth ? ms != cold.estimateMs : ms > cold.estimateMs) {
        cold.estimateMs = ms;
        cold.source = isTruth ? "key-ended" : "key-live";
        peersChanged.add(cold);
      }
    }
    return peersChanged;
  }

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
    if (job.key != null) {
      List<Job> peers = liveByKey.get(job.key);
      if (peers != null && peers.remove(job) && peers.isEmpty()) {
        liveByKey.remove(job.key);
      }
      lastEndedByKey.put(job.key, job);
    }
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
    if (!job.endedOnce) {
      job.endedOnce = true;
      config.estimator().onJobEnded(job.usedMs, job.endedTasks);
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
        lastEndedByKey.remove(job.key, job);
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
