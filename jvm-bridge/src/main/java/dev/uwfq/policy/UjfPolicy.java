package dev.uwfq.policy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * User job fairness, as one FAIR pool per user with FAIR inside: the user with the fewest
 * running tasks per unit of weight first, then inside that user the task set with the fewest
 * running tasks. The fairness reference the paper's deadline metrics compare against.
 *
 * <p>Users tied on running tasks per weight go least-served first. On few cores such ties are
 * the common case (a user whose one task just ended has 0 running, like a waiting user), and
 * breaking them by job age handed the freed core straight back to the user who had it.
 */
public final class UjfPolicy extends BasePolicy {
  private final Map<User, int[]> runningByUser = new HashMap<>();
  private final Map<User, double[]> servedMs = new HashMap<>(); // task run time received so far

  public UjfPolicy(PolicyConfig config) {
    super(config);
  }

  @Override
  public String name() {
    return "ujf";
  }

  @Override
  void beforeKeys(List<TaskSetView> taskSets, long nowMs) {
    runningByUser.clear();
    for (TaskSetView v : taskSets) {
      TaskSet ts = book.taskSet(v.info);
      if (ts != null) {
        runningByUser.computeIfAbsent(ts.job.user, u -> new int[1])[0] += v.runningTasks;
      }
    }
  }

  @Override
  void keys(TaskSetView v, TaskSet ts, long nowMs) {
    User u = ts.job.user;
    v.primary = runningByUser.get(u)[0] / u.weight;
    double[] served = servedMs.get(u);
    v.secondary = (served == null ? 0 : served[0]) / u.weight;
    v.tertiary = v.runningTasks;
  }

  @Override
  void served(User u, double runMs) {
    servedMs.computeIfAbsent(u, k -> new double[1])[0] += runMs;
  }

  @Override
  void userForgotten(User u) {
    servedMs.remove(u);
  }

  @Override
  boolean ordersByEstimates() {
    return false;
  }
}
