package dev.uwfq.history;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.spark.scheduler.SparkListenerEvent;

/**
 * Turns successive status documents into compact state-change events: job placed, job ended
 * (estimate and real cost), user joined or left, shares changed, failures grew. Runs on the
 * status poller's thread, never under the scheduler lock.
 *
 * <p>A job that joined and ended between two polls is seen among the document's recently ended
 * jobs (they linger for spark.uwfq.jobLingerMs), so it is posted as placed, then ended. A job
 * that vanished unseen (linger shorter than the poll) is posted as ended with its last values.
 */
public final class StateChanges {
  private final Consumer<SparkListenerEvent> post;
  private final Map<String, JsonNode> placed = new HashMap<>(); // queued jobs as last seen
  private Set<String> endedPosted = new HashSet<>(); // "job@ended_ms" still in the document
  private Map<String, Double> shares = new HashMap<>();
  private long failures;
  private long fallbacks;
  private long jobsPlaced;
  private long jobsEnded;
  private boolean started;

  public StateChanges(Consumer<SparkListenerEvent> post) {
    this.post = post;
  }

  public long jobsPlaced() {
    return jobsPlaced;
  }

  public long jobsEnded() {
    return jobsEnded;
  }

  /** Compares {@code doc} with the previous document and posts what changed. */
  public void update(JsonNode doc) {
    long now = doc.path("now_ms").asLong(System.currentTimeMillis());
    if (!started) {
      started = true;
      Map<String, String> settings = new HashMap<>();
      doc.path("settings").fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
      post.accept(new UwfqPolicyStarted(now, doc.path("policy").asText(null),
          doc.path("cores").asInt(), settings));
    }
    users(doc, now);
    Set<String> queued = new HashSet<>();
    for (JsonNode j : doc.path("jobs")) {
      String id = j.path("job").asText();
      queued.add(id);
      if (!placed.containsKey(id)) {
        placed(j, j.path("submitted_ms").asLong(now));
      }
      placed.put(id, j);
    }
    Set<String> stillListed = new HashSet<>();
    for (JsonNode j : doc.path("ended_jobs")) {
      String id = j.path("job").asText();
      String mark = id + "@" + j.path("ended_ms").asLong();
      stillListed.add(mark);
      if (queued.contains(id) || endedPosted.contains(mark)) {
        continue;
      }
      if (!placed.containsKey(id)) {
        placed(j, j.path("submitted_ms").asLong(now));
      }
      placed.remove(id);
      ended(j, j.path("ended_ms").asLong(now));
    }
    endedPosted = stillListed;
    placed.keySet().removeIf(id -> {
      if (queued.contains(id)) {
        return false;
      }
      ended(placed.get(id), now); // vanished between polls: its last values
      return true;
    });
    counters(doc, now);
  }

  private void placed(JsonNode j, long timeMs) {
    JsonNode deadline = j.path("deadline");
    post.accept(new UwfqJobPlaced(timeMs, j.path("job").asText(), j.path("user").asText(),
        j.path("key").asText(null), j.path("estimate_ms").asDouble(), j.path("source").asText(null),
        deadline.isNumber() ? deadline.asDouble() : null));
    jobsPlaced++;
  }

  private void ended(JsonNode j, long timeMs) {
    post.accept(new UwfqJobEnded(timeMs, j.path("job").asText(), j.path("user").asText(),
        j.path("key").asText(null), j.path("estimate_ms").asDouble(), j.path("source").asText(null),
        j.path("used_ms").asDouble(), j.path("submitted_ms").asLong(), j.path("waiting_ms").asLong()));
    endedPosted.add(j.path("job").asText() + "@" + j.path("ended_ms").asLong());
    jobsEnded++;
  }

  private void users(JsonNode doc, long now) {
    int cores = Math.max(1, doc.path("cores").asInt(1));
    Map<String, Double> current = new HashMap<>();
    Map<String, Double> changed = new HashMap<>();
    for (JsonNode u : doc.path("users")) {
      String name = u.path("user").asText();
      double share = Math.round(1000 * u.path("share").asDouble() / cores) / 1000.0;
      current.put(name, share);
      if (!shares.containsKey(name)) {
        post.accept(new UwfqUserJoined(now, name, u.path("weight").asDouble(1)));
      }
      if (!Double.valueOf(share).equals(shares.get(name))) {
        changed.put(name, share);
      }
    }
    for (String name : shares.keySet()) {
      if (!current.containsKey(name)) {
        post.accept(new UwfqUserLeft(now, name));
      }
    }
    if (!changed.isEmpty()) {
      post.accept(new UwfqSharesChanged(now, changed));
    }
    shares = current;
  }

  private void counters(JsonNode doc, long now) {
    long f = doc.path("policy_failures").asLong();
    long r = doc.path("fallback_rounds").asLong();
    if (f != failures || r != fallbacks) {
      failures = f;
      fallbacks = r;
      post.accept(new UwfqPolicyCounters(now, f, r));
    }
  }
}
