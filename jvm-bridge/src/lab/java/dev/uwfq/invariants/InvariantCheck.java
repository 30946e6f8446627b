package dev.uwfq.invariants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.uwfq.policy.Policies;
import dev.uwfq.policy.PolicyConfig;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import dev.uwfq.policy.Weights;
import dev.uwfq.spark.PolicyHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives one policy through the plugin's own {@link PolicyHost} with a long random sequence of
 * events ({@link RandomEvents}) and checks after each step: the host never fell back to FIFO (no
 * policy failure), every task set in an order round got finite keys, the order is a permutation
 * of what was given; from the status document (after every event but task ends, and every
 * {@value #STATUS_EVERY}th task end), virtual time never decreased and each job's charged usage
 * equals the task time fed to it; once every job ended and lingered, no state is left.
 *
 * <p>Protocol (so that Python drives many runs through one JVM, never one py4j call per event):
 * each stdin line is {@code policy seed events users cancelRate}; each answer line is
 * {@code ok EVENTS} or {@code violation STEP MESSAGE}.
 */
public final class InvariantCheck {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Field[] KEYS = keyFields();
  static final long LINGER_MS = 500;
  static final long GRACE_MS = 300;
  // The status document is rendered and parsed after every event but task ends, and after every
  // few task ends (the order, keys and failures are checked after every event).
  private static final int STATUS_EVERY = Integer.getInteger("uwfq.statusEvery", 16);

  private final SchedulingPolicy policy;
  private final PolicyHost host;
  private final RandomEvents events;
  private final Path weightsFile;
  private final Weights weights;
  private final Map<String, Double> fed = new HashMap<>();
  private double lastV = 0;

  InvariantCheck(String policyName, long seed, int users, double cancelRate, Path weightsFile)
      throws Exception {
    this.weightsFile = weightsFile;
    Files.writeString(weightsFile, "u0=1\n");
    this.weights = Weights.of("", weightsFile.toString());
    weights.reload();
    PolicyConfig config = PolicyConfig.defaults(4).withWeights(weights).withLingerMs(LINGER_MS);
    config = new PolicyConfig(config.cores(), config.defaultUser(), config.weights(),
        config.estimator(), config.defaultCostMs(), GRACE_MS, LINGER_MS, 64);
    this.policy = Policies.create(policyName, config);
    this.host = new PolicyHost(policy, policyName);
    this.events = new RandomEvents(seed, users, cancelRate);
  }

  /** Runs {@code n} events; returns null, or the first violation. */
  String run(int n) throws Exception {
    for (int step = 0; step < n; step++) {
      RandomEvents.Event e = events.next();
      String bad = apply(e);
      if (bad == null && step % STATUS_EVERY == 0) {
        bad = check(events.now());
      }
      if (bad != null) {
        return step + " " + e + ": " + bad;
      }
    }
    // Everything ends and lingers; then nothing may be left.
    for (RandomEvents.Event e : events.drain()) {
      String bad = apply(e);
      if (bad == null) {
        bad = check(events.now());
      }
      if (bad != null) {
        return n + " (drain) " + e + ": " + bad;
      }
    }
    // Housekeeping runs at submissions and job ends: a probe job after everything lingered
    // releases it all, and a second one releases the first.
    long t = events.now() + LINGER_MS + GRACE_MS + 10_000;
    for (SchedulingPolicy.TaskSetInfo probe : new SchedulingPolicy.TaskSetInfo[] {events.probe(), events.probe2()}) {
      long at = t;
      host.submitted(probe, 4, at);
      host.removed(probe, at);
      host.post(p -> p.onLogicalJobEnded(probe.logicalJob(), at));
      host.order(new ArrayList<>(), at);
      t += LINGER_MS + GRACE_MS + 10_000;
    }
    JsonNode s = JSON.readTree(policy.statusJson(t));
    if (s.path("jobs").size() != 0 || s.path("task_sets").asInt() != 0
        || s.path("lingering_jobs").asInt() > 1 || s.path("users").size() > 1) {
      return "end: state left after every job ended and lingered: jobs " + s.path("jobs")
          + ", task_sets " + s.path("task_sets") + ", lingering " + s.path("lingering_jobs")
          + ", users " + s.path("users");
    }
    return host.failures() == 0 ? null : "end: " + host.failures() + " policy failures";
  }

  private String apply(RandomEvents.Event e) throws Exception {
    long now = events.now();
    switch (e.kind) {
      case SUBMIT -> host.submitted(e.info, e.cores, now);
      case TASK_END -> {
        fed.merge(e.info.logicalJob(), (double) Math.max(0, e.runMs), Double::sum);
        host.post(p -> p.onTaskEnded(e.info.stageId(), e.info.stageAttempt(), e.runMs, e.ok, now));
      }
      case REMOVE -> host.removed(e.info, now);
      case JOB_END -> host.post(p -> p.onLogicalJobEnded(e.job, now));
      case WEIGHTS -> {
        Files.writeString(weightsFile, e.job);
        weights.reload();
      }
      default -> throw new IllegalStateException(e.kind.toString());
    }
    return order(now);
  }

  private String order(long now) throws Exception {
    List<TaskSetView> views = events.views();
    IdentityHashMap<Object, Boolean> given = new IdentityHashMap<>();
    for (TaskSetView v : views) {
      given.put(v.handle, true);
    }
    long failuresBefore = host.failures();
    host.order(views, now);
    if (host.failures() != failuresBefore) {
      return "policy failure (FIFO fallback) in order";
    }
    if (views.size() != given.size()) {
      return "order returned " + views.size() + " task sets for " + given.size();
    }
    for (TaskSetView v : views) {
      if (given.remove(v.handle) == null) {
        return "order is not a permutation (duplicate " + v.info + ")";
      }
      for (Field f : KEYS) {
        double k = f.getType() == long.class ? f.getLong(v) : f.getDouble(v);
        if (!Double.isFinite(k)) {
          return "non-finite key " + f.getName() + "=" + k + " for " + v.info;
        }
      }
    }
    return null;
  }

  private String check(long now) throws Exception {
    if (host.failures() != 0) {
      return host.failures() + " policy failures";
    }
    JsonNode s = JSON.readTree(policy.statusJson(now));
    JsonNode v = s.path("virtual_time");
    if (v.isNumber()) {
      if (v.asDouble() < lastV) {
        return "virtual time went back from " + lastV + " to " + v.asDouble();
      }
      lastV = v.asDouble();
    } else if (!v.isMissingNode() && !v.isNull()) {
      return "virtual time is " + v;
    }
    for (String list : new String[] {"jobs", "ended_jobs"}) {
      for (JsonNode j : s.path(list)) {
        double used = j.path("used_ms").asDouble(Double.NaN);
        double want = fed.getOrDefault(j.path("job").asText(), 0.0);
        if (Math.abs(used - want) > 1e-6 * Math.max(1, want)) {
          return "job " + j.path("job").asText() + " charged " + used + " ms, fed " + want + " ms";
        }
      }
    }
    return null;
  }

  private static Field[] keyFields() {
    List<Field> out = new ArrayList<>();
    for (String name : new String[] {"primary", "secondary", "tertiary", "arrival"}) {
      try {
        Field f = TaskSetView.class.getDeclaredField(name);
        f.setAccessible(true);
        out.add(f);
      } catch (NoSuchFieldException e) {
        // a key this version does not have
      }
    }
    return out.toArray(new Field[0]);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("uwfq-invariants");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 5) {
        continue;
      }
      String answer;
      try {
        InvariantCheck c = new InvariantCheck(f[0], Long.parseLong(f[1]), Integer.parseInt(f[3]),
            Double.parseDouble(f[4]), dir.resolve("weights.properties"));
        String bad = c.run(Integer.parseInt(f[2]));
        answer = bad == null ? "ok " + f[2] : "violation " + bad.replace('\n', ' ');
      } catch (Throwable t) {
        answer = "violation exception " + t.toString().replace('\n', ' ');
      }
      System.out.println(answer);
      System.out.flush();
    }
  }
}
