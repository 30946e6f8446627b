package org.apache.spark.uwfq.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The UWFQ tab's body, rendered from one status document (JSON) and nothing else, so the live
 * tab and the History Server's tab are the same code over different documents. Tables use
 * Spark's {@code sortable} class; numeric cells carry {@code sorttable_customkey}.
 */
final class StatusHtml {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TABLE = "table table-bordered table-sm table-striped sortable";

  private StatusHtml() {}

  static String render(String json) {
    JsonNode doc;
    try {
      doc = JSON.readTree(json);
    } catch (java.io.IOException e) {
      return "<p>The scheduler's status could not be read: " + esc(e.getMessage()) + "</p>";
    }
    StringBuilder b = new StringBuilder(4096).append("<div class=\"uwfq\">");
    summary(b, doc);
    users(b, doc);
    jobs(b, doc);
    endedJobs(b, doc);
    decisions(b, doc);
    settings(b, doc);
    return b.append("</div>").toString();
  }

  private static void summary(StringBuilder b, JsonNode doc) {
    if (doc.path("history").asBoolean(false)) {
      b.append("<p><strong>Read-only</strong>: rebuilt from the application's event log (the "
          + "scheduler's state changes it posted). Jobs below are those it placed and ended.</p>");
    }
    b.append("<ul class=\"list-unstyled\">");
    item(b, "Policy", esc(text(doc, "policy")));
    item(b, "Cores", esc(text(doc, "cores")));
    item(b, "Virtual time", num(doc.path("virtual_time"), 1));
    item(b, "Live task sets", esc(text(doc, "task_sets")));
    item(b, "Policy failures", esc(text(doc, "policy_failures")));
    item(b, "FIFO fallback rounds", esc(text(doc, "fallback_rounds")));
    JsonNode path = doc.path("scheduler_path");
    if (path.isObject()) {
      item(b, "Time on Spark's scheduling path", String.format(Locale.ROOT,
          "%d submissions (%.1f us each), %d order rounds (%.1f us each)",
          path.path("submissions").asLong(), perCall(path, "submission_ns", "submissions"),
          path.path("order_rounds").asLong(), perCall(path, "order_ns", "order_rounds")));
    }
    b.append("</ul>");
  }

  private static void users(StringBuilder b, JsonNode doc) {
    b.append("<h4>Users</h4><table class=\"").append(TABLE).append("\" id=\"uwfq-users\"><thead><tr>");
    header(b, "User", "Weight", "Share (entitled)", "Share of cores now", "Running tasks",
        "Queued jobs", "Active jobs", "Virtual start", "Virtual finish", "Lag (core-s)");
    for (JsonNode u : doc.path("users")) {
      b.append("<tr>");
      cell(b, esc(text(u, "user")));
      numCell(b, u.path("weight"), 2);
      pctCell(b, u.path("share").asDouble() / Math.max(1, doc.path("cores").asInt(1)), u.path("share"));
      pctCell(b, u.path("share_now").asDouble(), u.path("share_now"));
      numCell(b, u.path("running_tasks"), 0);
      numCell(b, u.path("queued_jobs"), 0);
      numCell(b, u.path("active_jobs"), 0);
      numCell(b, u.path("virtual_start"), 1);
      numCell(b, u.path("virtual_finish"), 1);
      numCell(b, scaled(u.path("lag_ms"), 1e-3), 1);
      b.append("</tr>");
    }
    b.append("</tbody></table>");
  }

  private static void jobs(StringBuilder b, JsonNode doc) {
    List<JsonNode> jobs = new ArrayList<>();
    doc.path("jobs").forEach(jobs::add);
    jobs.sort(Comparator.comparingInt(j -> j.path("launch_rank").asInt(Integer.MAX_VALUE)));
    b.append("<h4>Jobs in launch order (").append(esc(text(doc, "launch_order")))
        .append(")</h4><table class=\"").append(TABLE).append("\" id=\"uwfq-jobs\"><thead><tr>");
    header(b, "#", "Job", "User", "Key", "Estimate (core-s)", "Source", "Used (core-s)",
        "Running tasks", "Remaining tasks", "Virtual deadline", "Waiting (s)", "Why it waits");
    for (JsonNode j : jobs) {
      b.append("<tr>");
      numCell(b, j.path("launch_rank"), 0);
      cell(b, esc(text(j, "job")));
      cell(b, esc(text(j, "user")));
      cell(b, esc(text(j, "key")));
      numCell(b, scaled(j.path("estimate_ms"), 1e-3), 1);
      cell(b, esc(text(j, "source")));
      numCell(b, scaled(j.path("used_ms"), 1e-3), 1);
      numCell(b, j.path("running_tasks"), 0);
      numCell(b, j.path("remaining_tasks"), 0);
      numCell(b, j.path("deadline"), 1);
      numCell(b, scaled(j.path("waiting_ms"), 1e-3), 1);
      cell(b, esc(text(j, "why_waiting")));
      b.append("</tr>");
    }
    b.append("</tbody></table>");
  }

  private static void endedJobs(StringBuilder b, JsonNode doc) {
    b.append("<h4>Recently ended jobs</h4><table class=\"").append(TABLE)
        .append("\" id=\"uwfq-ended\"><thead><tr>");
    header(b, "Job", "User", "Key", "Estimate (core-s)", "Source", "Real cost (core-s)",
        "Waiting (s)", "Response (s)");
    for (JsonNode j : doc.path("ended_jobs")) {
      b.append("<tr>");
      cell(b, esc(text(j, "job")));
      cell(b, esc(text(j, "user")));
      cell(b, esc(text(j, "key")));
      numCell(b, scaled(j.path("estimate_ms"), 1e-3), 1);
      cell(b, esc(text(j, "source")));
      numCell(b, scaled(j.path("used_ms"), 1e-3), 1);
      numCell(b, scaled(j.path("waiting_ms"), 1e-3), 1);
      long response = j.path("ended_ms").asLong() - j.path("submitted_ms").asLong();
      numCell(b, JSON.getNodeFactory().numberNode(response / 1000.0), 1);
      b.append("</tr>");
    }
    b.append("</tbody></table>");
  }

  private static void decisions(StringBuilder b, JsonNode doc) {
    JsonNode p = doc.path("partitioner");
    b.append("<h4>Partitioner: last decisions (").append(p.path("decisions_total").asLong())
        .append(" in all)</h4><table class=\"").append(TABLE).append("\" id=\"uwfq-partitioner\"><thead><tr>");
    header(b, "Job", "Key", "Source", "Estimate (ms)", "Tasks", "Scans split", "Scans left alone",
        "Shuffles set", "Detail");
    for (JsonNode d : p.path("decisions")) {
      b.append("<tr>");
      cell(b, esc(text(d, "job")));
      cell(b, esc(text(d, "key")));
      cell(b, esc(text(d, "source")));
      numCell(b, d.path("estimate_ms"), 0);
      numCell(b, d.path("tasks"), 0);
      numCell(b, d.path("scans_split"), 0);
      numCell(b, d.path("scans_left_alone"), 0);
      numCell(b, d.path("shuffles_set"), 0);
      cell(b, esc(text(d, "detail")));
      b.append("</tr>");
    }
    b.append("</tbody></table>");
  }

  private static void settings(StringBuilder b, JsonNode doc) {
    b.append("<h4>Settings</h4><table class=\"").append(TABLE)
        .append("\" id=\"uwfq-settings\"><thead><tr>");
    header(b, "Setting", "Value");
    doc.path("settings").fields().forEachRemaining(e -> {
      b.append("<tr>");
      cell(b, esc(e.getKey()));
      cell(b, esc(e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
      b.append("</tr>");
    });
    b.append("</tbody></table>");
  }

  // ---- cells ---------------------------------------------------------------------------

  private static void header(StringBuilder b, String... names) {
    for (String n : names) {
      b.append("<th>").append(esc(n)).append("</th>");
    }
    b.append("</tr></thead><tbody>");
  }

  private static void item(StringBuilder b, String name, String html) {
    b.append("<li><strong>").append(esc(name)).append(":</strong> ").append(html).append("</li>");
  }

  private static void cell(StringBuilder b, String html) {
    b.append("<td>").append(html).append("</td>");
  }

  private static void numCell(StringBuilder b, JsonNode n, int decimals) {
    if (!n.isNumber()) {
      b.append("<td sorttable_customkey=\"-1e300\"></td>");
      return;
    }
    b.append("<td sorttable_customkey=\"").append(n.asDouble()).append("\">")
        .append(num(n, decimals)).append("</td>");
  }

  private static void pctCell(StringBuilder b, double fraction, JsonNode present) {
    if (!present.isNumber()) {
      cell(b, "");
      return;
    }
    b.append("<td sorttable_customkey=\"").append(fraction).append("\">")
        .append(String.format(Locale.ROOT, "%.0f%%", 100 * fraction)).append("</td>");
  }

  private static JsonNode scaled(JsonNode n, double factor) {
    return n.isNumber() ? JSON.getNodeFactory().numberNode(n.asDouble() * factor) : n;
  }

  private static String num(JsonNode n, int decimals) {
    if (!n.isNumber()) {
      return "";
    }
    return String.format(Locale.ROOT, "%,." + decimals + "f", n.asDouble());
  }

  private static double perCall(JsonNode path, String nanos, String calls) {
    long n = path.path(calls).asLong();
    return n == 0 ? 0 : path.path(nanos).asDouble() / n / 1000;
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    return v.isMissingNode() || v.isNull() ? "" : v.asText();
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
