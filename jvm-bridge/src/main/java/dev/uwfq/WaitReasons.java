package dev.uwfq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Launch order ({@code launch_rank}; the jobs array stays in arrival order) and, for each
 * waiting job, one line saying why it waits, computed from the status document (outside the
 * scheduler lock) so that the UI tab and the notebook say the same thing.
 *
 * <p>Launch order: uwfq and cfq launch the earliest virtual deadline first; the other policies
 * are shown in arrival order (their order depends on running tasks and changes every round).
 */
final class WaitReasons {
  private WaitReasons() {}

  static void annotate(ObjectNode doc) {
    JsonNode jobsNode = doc.path("jobs");
    if (!jobsNode.isArray()) {
      return;
    }
    boolean byDeadline = hasDeadlines(jobsNode);
    List<ObjectNode> jobs = new ArrayList<>();
    jobsNode.forEach(j -> jobs.add((ObjectNode) j));
    if (byDeadline) { // stable: equal deadlines keep arrival order
      jobs.sort(Comparator.comparingDouble(j -> j.path("deadline").isNumber()
          ? j.path("deadline").asDouble() : Double.POSITIVE_INFINITY));
    }
    Map<String, Double> shares = new HashMap<>();
    doc.path("users").forEach(u -> shares.put(u.path("user").asText(), u.path("share").asDouble()));
    int cores = Math.max(1, doc.path("cores").asInt(1));
    int running = 0;
    for (ObjectNode j : jobs) {
      running += j.path("running_tasks").asInt();
    }
    Map<String, Integer> ahead = new LinkedHashMap<>();
    int rank = 0;
    for (ObjectNode j : jobs) {
      j.put("launch_rank", ++rank);
      String user = j.path("user").asText();
      if (j.path("running_tasks").asInt() == 0) {
        j.put("why_waiting", reason(j, user, ahead, byDeadline, shares, cores, running));
      } else {
        j.putNull("why_waiting");
      }
      ahead.merge(user, 1, Integer::sum);
    }
    doc.put("launch_order", byDeadline ? "virtual deadline" : "arrival");
  }

  private static String reason(ObjectNode job, String user, Map<String, Integer> ahead,
      boolean byDeadline, Map<String, Double> shares, int cores, int running) {
    String share = String.format("%s's share %.0f%% of %d cores", user,
        100 * shares.getOrDefault(user, 0.0) / cores, cores);
    if (job.path("remaining_tasks").asInt() == 0) {
      return "between stages: its next stage is not submitted yet; " + share;
    }
    if (ahead.isEmpty()) {
      return "first in line, waiting for a free core (" + running + " tasks hold the " + cores
          + " cores); " + share;
    }
    StringBuilder b = new StringBuilder("behind ");
    boolean first = true;
    for (Map.Entry<String, Integer> e : ahead.entrySet()) {
      b.append(first ? "" : ", ").append(e.getValue()).append(e.getValue() == 1 ? " job" : " jobs")
          .append(" of user ").append(e.getKey());
      first = false;
    }
    b.append(byDeadline ? " with earlier virtual deadlines; " : " that arrived earlier; ");
    return b.append(share).toString();
  }

  private static boolean hasDeadlines(JsonNode jobs) {
    for (JsonNode j : jobs) {
      if (j.path("deadline").isNumber()) {
        return true;
      }
    }
    return false;
  }
}
