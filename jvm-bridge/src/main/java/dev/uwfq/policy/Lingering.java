package dev.uwfq.policy;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Logical jobs that ended but are still remembered: a later action of the same block (an
 * adaptive query's next stage, a job group's next query) continues the job instead of starting
 * a new one, and the latest ended job of a key (per user, and any user) is the best estimate
 * for the next one. A job is forgotten after {@code lingerMs}, or when more than
 * {@code maxLingering} are remembered (oldest first); only then is its cost history.
 */
final class Lingering {
  private final long lingerMs;
  private final int maxLingering;
  private final LinkedHashMap<String, Job> byId = new LinkedHashMap<>(); // oldest idle first
  private final Map<String, Job> lastByUserKey = new HashMap<>();
  private final Map<String, Job> lastByKey = new HashMap<>();

  Lingering(long lingerMs, int maxLingering) {
    this.lingerMs = lingerMs;
    this.maxLingering = maxLingering;
  }

  int size() {
    return byId.size();
  }

  /** The lingering jobs, oldest first (read-only). */
  Collection<Job> jobs() {
    return Collections.unmodifiableCollection(byId.values());
  }

  /** Remembers an ended job; returns a job of the same id it displaced (else null). */
  Job add(Job job) {
    Job displaced = byId.put(job.id, job);
    if (job.key != null) {
      lastByKey.put(job.key, job);
      lastByUserKey.put(userKey(job.user.name, job.key), job);
    }
    if (displaced == null || displaced == job) {
      return null;
    }
    forgetLatest(displaced);
    return displaced;
  }

  /** The ended job {@code id} of {@code user}, taken back to be continued; null when none. */
  Job revive(String id, User user) {
    Job job = byId.get(id);
    if (job == null || job.user != user) {
      return null; // same id, other user: a different job
    }
    byId.remove(id);
    forgetLatest(job);
    return job;
  }

  /** The latest ended job of this user and key, while it lingers (null when none). */
  Job lastOf(String user, String key) {
    return key == null ? null : lastByUserKey.get(userKey(user, key));
  }

  /** The latest ended job of this key, any user, while it lingers (null when none). */
  Job lastOfKey(String key) {
    return key == null ? null : lastByKey.get(key);
  }

  /** Forgets jobs past their linger time (or over the bound), oldest first, each told to {@code forget}. */
  void expire(long nowMs, Consumer<Job> forget) {
    Iterator<Job> it = byId.values().iterator();
    while (it.hasNext()) {
      Job job = it.next();
      if (nowMs - job.idleSinceMs < lingerMs && byId.size() <= maxLingering) {
        break;
      }
      forget.accept(job);
      it.remove();
      forgetLatest(job);
    }
  }

  private void forgetLatest(Job job) {
    if (job.key != null) {
      lastByUserKey.remove(userKey(job.user.name, job.key), job);
      lastByKey.remove(job.key, job);
    }
  }

  private static String userKey(String user, String key) {
    return user + '\u0000' + key;
  }
}
