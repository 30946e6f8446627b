package dev.uwfq.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * The scheduler's state rebuilt from its state-change events (an event log replayed in the
 * History Server), as a status document of the same shape the live tab renders, marked
 * {@code "history": true}: users with their weight, last share and jobs, jobs still queued at the
 * end, and ended jobs with estimate and real cost (the newest {@value #ENDED_KEPT}).
 */
public final class HistoryState {
  static final int ENDED_KEPT = 10_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ObjectNode doc = JSON.createObjectNode();
  private final Map<String, ObjectNode> users = new TreeMap<>();
  private final Map<String, ObjectNode> queued = new LinkedHashMap<>();
  private final Deque<ObjectNode> ended = new ArrayDeque<>();
  private boolean seen;

  /** Whether any event of the scheduler was seen (an application without the plugin has none). */
  public boolean seen() {
    return seen;
  }

  /** Applies one event; returns false when it is not one of the scheduler's. */
  public boolean apply(SparkListenerEvent event) {
    if (event instanceof UwfqPolicyStarted e) {
      doc.put("policy", e.policy).put("cores", e.cores).put("now_ms", e.timeMs);
      ObjectNode settings = doc.putObject("settings");
      new TreeMap<>(e.settings == null ? Map.<String, String>of() : e.settings).forEach(settings::put);
    } else if (event instanceof UwfqUserJoined e) {
      ObjectNode u = user(e.user);
      u.put("weight", e.weight).put("joined_ms", e.timeMs).putNull("left_ms");
    } else if (event instanceof UwfqUserLeft e) {
      user(e.user).put("left_ms", e.timeMs);
    } else if (event instanceof UwfqSharesChanged e) {
      int cores = Math.max(1, doc.path("cores").asInt(1));
      e.shares.forEach((name, share) -> user(name).put("share", share * cores));
    } else if (event instanceof UwfqJobPlaced e) {
      ObjectNode j = JSON.createObjectNode().put("job", e.job).put("user", e.user).put("key", e.key)
          .put("estimate_ms", e.estimateMs).put("source", e.source).put("submitted_ms", e.timeMs);
      if (e.deadline == null) {
        j.putNull("deadline");
      } else {
        j.put("deadline", e.deadline);
      }
      queued.put(e.job, j);
      ObjectNode u = user(e.user);
      u.put("jobs_placed", u.path("jobs_placed").asLong() + 1);
    } else if (event instanceof UwfqJobEnded e) {
      queued.remove(e.job);
      ended.addLast(JSON.createObjectNode().put("job", e.job).put("user", e.user).put("key", e.key)
          .put("estimate_ms", e.estimateMs).put("source", e.source).put("used_ms", e.usedMs)
          .put("submitted_ms", e.submittedMs).put("ended_ms", e.timeMs).put("waiting_ms", e.waitingMs));
      while (ended.size() > ENDED_KEPT) {
        ended.removeFirst();
      }
      ObjectNode u = user(e.user);
      u.put("jobs_ended", u.path("jobs_ended").asLong() + 1)
          .put("used_ms", u.path("used_ms").asDouble() + e.usedMs);
    } else if (event instanceof UwfqPolicyCounters e) {
      doc.put("policy_failures", e.policyFailures).put("fallback_rounds", e.fallbackRounds);
    } else {
      return false;
    }
    seen = true;
    doc.put("now_ms", Math.max(doc.path("now_ms").asLong(), timeOf(event)));
    return true;
  }

  /** The rebuilt document, as JSON. */
  public String json() {
    ObjectNode out = doc.deepCopy();
    out.put("history", true);
    if (!out.has("policy_failures")) {
      out.put("policy_failures", 0).put("fallback_rounds", 0);
    }
    ArrayNode us = out.putArray("users");
    users.values().forEach(u -> us.add(u.deepCopy()
        .put("active_jobs", u.path("jobs_placed").asLong() - u.path("jobs_ended").asLong())));
    ArrayNode js = out.putArray("jobs");
    int rank = 0;
    for (ObjectNode j : queued.values()) {
      js.add(j.deepCopy().put("launch_rank", ++rank));
    }
    out.put("launch_order", "arrival");
    ArrayNode es = out.putArray("ended_jobs");
    ended.forEach(es::add);
    return out.toString();
  }

  private ObjectNode user(String name) {
    return users.computeIfAbsent(name, n -> JSON.createObjectNode().put("user", n));
  }

  private static long timeOf(SparkListenerEvent e) {
    if (e instanceof UwfqJobPlaced p) {
      return p.timeMs;
    } else if (e instanceof UwfqJobEnded p) {
      return p.timeMs;
    }
    return 0;
  }
}
