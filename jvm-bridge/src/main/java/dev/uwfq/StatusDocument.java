package dev.uwfq;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.uwfq.partition.Decision;
import dev.uwfq.partition.DecisionLog;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one status document that Python, the UI tab, its JSON URL and the metrics read: the
 * scheduler's part (copied under the scheduler lock by the pool) plus, added here outside that
 * lock, the jobs in launch order with why each waiting one waits ({@link WaitReasons}), the
 * settings in effect and the partitioner's newest decisions.
 */
public final class StatusDocument {
  static final int DECISIONS_SHOWN = 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static volatile Map<String, String> settings = Map.of();

  private StatusDocument() {}

  /** Every spark.uwfq.* setting as in effect for this application. */
  static void setSettings(Map<String, String> given) {
    settings = new TreeMap<>(given);
  }

  static String build(String schedulerJson) {
    try {
      ObjectNode doc = (ObjectNode) JSON.readTree(schedulerJson);
      WaitReasons.annotate(doc);
      ObjectNode set = doc.putObject("settings");
      settings.forEach(set::put);
      ObjectNode partitioner = doc.putObject("partitioner");
      partitioner.put("decisions_total", DecisionLog.recorded());
      ArrayNode recent = partitioner.putArray("decisions");
      for (Decision d : DecisionLog.newest(DECISIONS_SHOWN)) {
        recent.addObject().put("time_ms", d.timeMs()).put("job", d.jobId())
            .put("key", d.jobKey()).put("execution_id", d.executionId())
            .put("source", d.source()).put("estimate_ms", d.estimateMs())
            .put("tasks", d.tasks()).put("scans_split", d.scansSplit())
            .put("scans_left_alone", d.scansLeftAlone()).put("shuffles_set", d.shufflesSet())
            .put("detail", d.detail());
      }
      return JSON.writeValueAsString(doc);
    } catch (java.io.IOException | ClassCastException e) {
      return schedulerJson; // never fail a status call over the additions
    }
  }
}
