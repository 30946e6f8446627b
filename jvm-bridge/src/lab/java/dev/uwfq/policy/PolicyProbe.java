package dev.uwfq.policy;

import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.Map;

/**
 * Read-only access to a policy's state for the lab's invariant checks, which run after every one
 * of hundreds of thousands of events: what the status document shows (virtual time, each job's
 * charged usage), read from the objects themselves instead of rendering and parsing JSON. It
 * lives in the policy's package, in the lab jar, so the product keeps these fields private.
 */
public final class PolicyProbe {
  /** A check of one job's charged usage; returns null, or what is wrong. */
  public interface UsageCheck {
    String check(String job, double usedMs);
  }

  private final BasePolicy policy;

  public PolicyProbe(SchedulingPolicy policy) {
    this.policy = (BasePolicy) policy;
  }

  /** Global virtual time, or NaN for a policy without one. */
  public double virtualTime() {
    return policy.virtualTime();
  }

  /** Runs {@code check} over every job the book remembers, queued or lingering; the first problem. */
  public String eachJob(UsageCheck check) {
    for (Job j : policy.book.jobs.values()) {
      String bad = check.check(j.id, j.usedMs);
      if (bad != null) {
        return bad;
      }
    }
    for (Job j : policy.book.lingering.jobs()) {
      String bad = check.check(j.id, j.usedMs);
      if (bad != null) {
        return bad;
      }
    }
    return null;
  }

  /** Whether every sort key {@code order} gave the view is finite. */
  public static boolean finiteKeys(TaskSetView v) {
    return Double.isFinite(v.primary) && Double.isFinite(v.secondary) && Double.isFinite(v.tertiary);
  }

  /** The view's sort keys, for a message. */
  public static String keys(TaskSetView v) {
    return "(" + v.primary + ", " + v.secondary + ", " + v.tertiary + ", " + v.arrival + ")";
  }

  /**
   * Every map and collection the policy, its book, the book's lingering jobs and its estimate
   * tracker hold, by field, with more than {@code allowed} entries ("UwfqPolicy.clocks=3, ..."),
   * or null. Found by reflection, so state a policy adds later is covered too.
   */
  public String heldOver(int allowed) {
    StringBuilder out = new StringBuilder();
    for (Object o : new Object[] {policy, policy.book, policy.book.lingering, policy.book.estimates}) {
      for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          if (Modifier.isStatic(f.getModifiers())) {
            continue;
          }
          int size = size(f, o);
          if (size > allowed) {
            out.append(out.length() == 0 ? "" : ", ")
                .append(c.getSimpleName()).append('.').append(f.getName()).append('=').append(size);
          }
        }
      }
    }
    return out.length() == 0 ? null : out.toString();
  }

  private static int size(Field f, Object o) {
    if (!Map.class.isAssignableFrom(f.getType()) && !Collection.class.isAssignableFrom(f.getType())) {
      return -1;
    }
    try {
      f.setAccessible(true);
      Object v = f.get(o);
      return v instanceof Map<?, ?> m ? m.size() : v instanceof Collection<?> c ? c.size() : -1;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
