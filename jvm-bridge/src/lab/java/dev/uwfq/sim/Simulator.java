package dev.uwfq.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A discrete-event model of one Spark application: C cores in executors, logical jobs made of
 * Spark jobs made of stages of tasks. It follows Spark's task scheduler where ordering matters:
 *
 * <ul>
 *   <li>A stage's task set is submitted when its Spark job arrives (first stage) or when the
 *       previous stage completes; a submission revives offers on every free core.
 *   <li>A task end offers only the cores of its own executor (CoarseGrainedSchedulerBackend's
 *       makeOffers(executorId)); in local mode there is one executor, so all of them.
 *   <li>Each offer round asks the policy for the order once, then fills the free cores in that
 *       order: the first task set takes all it can use, then the next (resourceOffers).
 *   <li>Tasks run to completion: preemption only at task boundaries.
 * </ul>
 *
 * Time is in milliseconds. Same input, same policy: same result (ties break by event order).
 */
final class Simulator {
  private static final int ARRIVE = 0;
  private static final int TASK_END = 1;
  private static final int CHECK = 2;

  private static final class Event implements Comparable<Event> {
    final double time;
    final long seq;
    final int kind;
    final int target; // ARRIVE: logical job id; TASK_END: core
    final long attempt; // TASK_END: the attempt it ends (stale once that attempt was killed)

    Event(double time, long seq, int kind, int target, long attempt) {
      this.time = time;
      this.seq = seq;
      this.kind = kind;
      this.target = target;
      this.attempt = attempt;
    }

    @Override
    public int compareTo(Event o) {
      int c = Double.compare(time, o.time);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  private final Workload workload;
  private final int cores;
  private final int coresPerExecutor;
  private final PolicyDriver policy;
  private final Outcome out;

  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final StageRun[] onCore;
  private final double[] taskStartMs;
  private final int[] taskIndex;
  private final long[] attemptOnCore;
  private final Preemption preemption; // null: tasks always run to completion
  private long nextAttempt = 1;
  private final List<StageRun> active = new ArrayList<>();
  private final int[] sparkJobsLeft;
  private final List<List<Integer>> followers = new ArrayList<>();
  private long seq;
  private double now;
  private int freeCores;
  private int pendingTasks;
  private int nextJobId;
  private int nextStageId;

  Simulator(Workload workload, int cores, int coresPerExecutor, PolicyDriver policy,
      boolean recordLaunches) {
    this(workload, cores, coresPerExecutor, policy, recordLaunches, null);
  }

  Simulator(Workload workload, int cores, int coresPerExecutor, PolicyDriver policy,
      boolean recordLaunches, Preemption preemption) {
    if (cores <= 0 || coresPerExecutor <= 0) {
      throw new IllegalArgumentException("cores and cores per executor must be positive");
    }
    this.workload = workload;
    this.cores = cores;
    this.coresPerExecutor = coresPerExecutor;
    this.policy = policy;
    this.onCore = new StageRun[cores];
    this.taskStartMs = new double[cores];
    this.taskIndex = new int[cores];
    this.attemptOnCore = new long[cores];
    this.preemption = preemption;
    this.freeCores = cores;
    this.sparkJobsLeft = new int[workload.jobs.size()];
    this.out = new Outcome(workload, recordLaunches);
    for (int i = 0; i < workload.jobs.size(); i++) {
      followers.add(new ArrayList<>());
    }
    for (Workload.LogicalJob l : workload.jobs) {
      sparkJobsLeft[l.id] = l.sparkJobs.size();
      if (l.after >= 0) {
        followers.get(l.after).add(l.id);
      } else {
        push(l.arrivalMs, ARRIVE, l.id);
      }
    }
    if (preemption != null && preemption.checkIntervalMs() > 0) {
      push(preemption.checkIntervalMs(), CHECK, 0);
    }
  }

  Outcome run() {
    while (!events.isEmpty()) {
      Event e = events.poll();
      now = e.time;
      if (e.kind == ARRIVE) {
        arrive(workload.jobs.get(e.target));
        offer(-1);
      } else if (e.kind == CHECK) {
        // Spark's backend revives offers every second (spark.scheduler.revive.interval), and
        // every revive asks for the order, free cores or not: the ranks the planner reads are
        // at most that old.
        if (freeCores == 0 && pendingTasks > 0) {
          policy.order(active, now);
          out.orderCalls++;
        }
        if (preempt(preemption.plan(this, policy, now), false)) {
          offer(-1);
        }
        if (!active.isEmpty() || !events.isEmpty()) {
          push(now + preemption.checkIntervalMs(), CHECK, 0);
        }
      } else if (e.attempt != attemptOnCore[e.target]) {
        continue; // that attempt was killed
      } else {
        int executor = e.target / coresPerExecutor;
        boolean submitted = taskEnded(e.target);
        offer(submitted ? -1 : executor);
      }
      if (freeCores > 0 && pendingTasks > 0) {
        out.idleWhileRunnable++;
      }
    }
    out.makespanMs = now;
    out.policyFailures = policy.failures();
    if (!active.isEmpty()) {
      throw new IllegalStateException("stage " + active.get(0).stageId + " never completed");
    }
    return out;
  }

  private void push(double time, int kind, int target) {
    events.add(new Event(time, seq++, kind, target, 0));
  }

  private void arrive(Workload.LogicalJob l) {
    out.logicalStartMs[l.id] = now;
    for (Workload.SparkJob j : l.sparkJobs) {
      int jobId = nextJobId++;
      // Spark numbers all stages of a job at submission, parents first.
      int firstStageId = nextStageId;
      nextStageId += j.stages.size();
      submit(new StageRun(j, 0, firstStageId, jobId, now));
    }
  }

  private void submit(StageRun s) {
    active.add(s);
    pendingTasks += s.durations.length;
    policy.submitted(s, now);
  }

  /** Returns whether a new stage was submitted (which revives offers on every executor). */
  private boolean taskEnded(int core) {
    StageRun s = onCore[core];
    onCore[core] = null;
    freeCores++;
    s.running--;
    s.finished++;
    attemptOnCore[core] = 0;
    policy.taskEnded(s, now - taskStartMs[core], true, now);
    if (!s.complete()) {
      return false;
    }
    active.remove(s);
    out.stageEnded(s, now);
    policy.removed(s, now);
    Workload.SparkJob j = s.sparkJob;
    if (s.stageIndex + 1 < j.stages.size()) {
      submit(new StageRun(j, s.stageIndex + 1, s.stageId + 1, s.jobId, now));
      return true;
    }
    Workload.LogicalJob l = j.owner;
    if (--sparkJobsLeft[l.id] > 0) {
      return false;
    }
    out.logicalEndMs[l.id] = now;
    policy.logicalJobEnded(l, now);
    for (int next : followers.get(l.id)) {
      Workload.LogicalJob f = workload.jobs.get(next);
      push(Math.max(out.logicalStartMs[l.id] + f.gapMs, now), ARRIVE, next);
    }
    return false;
  }

  /** One offer round over the free cores of one executor (or of all, executor = -1). */
  private void offer(int executor) {
    if (freeCores == 0 || pendingTasks == 0) {
      return;
    }
    int from = executor < 0 ? 0 : executor * coresPerExecutor;
    int to = executor < 0 ? cores : Math.min(cores, from + coresPerExecutor);
    List<Integer> free = new ArrayList<>();
    for (int c = from; c < to; c++) {
      if (onCore[c] == null) {
        free.add(c);
      }
    }
    if (free.isEmpty()) {
      return;
    }
    List<StageRun> ordered = policy.order(active, now);
    out.orderCalls++;
    int k = 0;
    for (StageRun s : ordered) {
      while (k < free.size() && s.pending() > 0) {
        launch(s, free.get(k++));
      }
      if (k == free.size()) {
        break;
      }
    }
    if (preemption != null && policy.host().limits().mayOvershoot()) {
      preempt(preemption.trims(this, policy), true); // as the plugin's guard does after a round
    }
  }

  private void launch(StageRun s, int core) {
    int index = s.takeNext();
    double duration = s.durations[index];
    taskIndex[core] = index;
    attemptOnCore[core] = nextAttempt++;
    s.running++;
    pendingTasks--;
    freeCores--;
    onCore[core] = s;
    taskStartMs[core] = now;
    out.busyCoreMs += duration;
    out.launched(s, core, now, duration);
    events.add(new Event(now + duration, seq++, TASK_END, core, attemptOnCore[core]));
  }

  /** Kills each chosen attempt: its run so far is lost, its task goes back to its stage. */
  private boolean preempt(List<Integer> coresToKill, boolean trim) {
    for (int core : coresToKill) {
      StageRun s = onCore[core];
      double ran = now - taskStartMs[core];
      onCore[core] = null;
      attemptOnCore[core] = 0; // its TASK_END event is now stale
      freeCores++;
      s.running--;
      s.retry.add(taskIndex[core]);
      pendingTasks++;
      out.busyCoreMs -= s.durations[taskIndex[core]] - ran;
      out.killed(s, core, taskStartMs[core], now, trim);
      policy.taskEnded(s, ran, false, now);
    }
    return !coresToKill.isEmpty();
  }

  // ---- what Preemption reads -------------------------------------------------------------

  int cores() {
    return cores;
  }

  double now() {
    return now;
  }

  StageRun onCore(int core) {
    return onCore[core];
  }

  double taskStartMs(int core) {
    return taskStartMs[core];
  }

  int taskIndex(int core) {
    return taskIndex[core];
  }

  long attemptOnCore(int core) {
    return attemptOnCore[core];
  }

  List<StageRun> active() {
    return active;
  }
}
