package dev.uwfq.invariants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.uwfq.policy.Policies;
import dev.uwfq.policy.PolicyConfig;
import dev.uwfq.policy.PolicyProbe;
import dev.uwfq.policy.SchedulingPolicy;
import dev.uwfq.policy.SchedulingPolicy.TaskSetView;
import dev.uwfq.policy.Weights;
import dev.uwfq.spark.PolicyHost;
import java.io.BufferedReader;
import java.io.InputStreamReader;
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
 * events ({@link RandomEvents}) and checks after every event: the host never fell back to FIFO
 * (no policy failure), every task set in the order round got finite keys, the order is a
 * permutation of what was given, virtual time never decreased, and each job the policy
 * remembers (queued or lingering) is charged exactly the task time fed to it. Those are read
 * from the policy's objects ({@link PolicyProbe}); the status document is rendered and parsed
 * every {@value #STATUS_EVERY_DEFAULT}th event and through the drain, and must show the same.
 * Once every job ended and lingered, nothing may be left: no job, task set or user in the book,
 * and no map or collection of the policy's own holding more than the last probe's entry.
 *
 * <p>Protocol (so that Python drives many runs through one JVM, never one py4j call per event):
 * each stdin line is {@code policy seed events users cancelRate}; each answer line is
 * {@code ok EVENTS COUNTS} (events of each kind) or {@code violation STEP MESSAGE}.
 */
public final class InvariantCheck {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final long LINGER_MS = 500;
  static final long GRACE_MS = 300;
  private static final int STATUS_EVERY_DEFAULT = 256;
  private static final int STATUS_EVERY = Integer.getInteger("uwfq.statusEvery", STATUS_EVERY_DEFAULT);

  private final SchedulingPolicy policy;
  private final PolicyProbe probe;
  private final PolicyHost host;
  private final RandomEvents events;
  private final Path weightsFile;
  private final Weights weights;
  private final Map<String, double[]> fed = new HashMap<>(); // task time fed to each job
  private final IdentityHashMap<Object, Boolean> given = new IdentityHashMap<>();
  private double lastV = Double.NaN;

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
    this.probe = new PolicyProbe(policy);
    this.host = new PolicyHost(policy, policyName);
    this.events = new RandomEvents(seed, users, cancelRate);
  }

  /** Runs {@code n} events; returns null, or the first violation. */
  String run(int n) throws Exception {
    for (int step = 0; step < n; step++) {
      RandomEvents.Event e = events.next();
      String bad = apply(e);
      if (bad == null) {
        bad = check();
      }
      if (bad == null && step % STATUS_EVERY == 0) {
        bad = checkStatus(events.now());
      }
      if (bad != null) {
        return step + " " + e + ": " + bad;
      }
    }
    // Everything ends and lingers; then nothing may be left.
    for (RandomEvents.Event e : events.drain()) {
      String bad = apply(e);
      if (bad == null) {
        bad = check();
      }
      if (bad == null) {
        bad = checkStatus(events.now());
      }
      if (bad != null) {
        return n + " (drain) " + e + ": " + bad;
      }
    }
    // Housekeeping runs at submissions and job ends: a probe job after everything lingered
    // releases it all, and a second one releases the first.
    long t = events.now() + LINGER_MS + GRACE_MS + 10_000;
    for (SchedulingPolicy.TaskSetInfo probeJob : new SchedulingPolicy.TaskSetInfo[] {events.probe(), events.probe2()}) {
      long at = t;
      host.submitted(probeJob, 4, at);
      host.removed(probeJob, at);
      host.post(p -> p.onLogicalJobEnded(probeJob.logicalJob(), at));
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
    String held = probe.heldOver(1); // the second probe job and its user may remain
    if (held != null) {
      return "end: state held after every job ended and lingered: " + held;
    }
    return host.failures() == 0 ? null : "end: " + host.failures() + " policy failures";
  }

  /** Events of each kind this run gave. */
  String counts() {
    return events.counts();
  }

  private String apply(RandomEvents.Event e) throws Exception {
    long now = events.now();
    switch (e.kind) {
      case SUBMIT -> host.submitted(e.info, e.cores, now);
      case TASK_END -> {
        fed.computeIfAbsent(e.info.logicalJob(), k -> new double[1])[0] += Math.max(0, e.runMs);
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

  private String order(long now) {
    List<TaskSetView> views = events.views();
    given.clear();
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
      if (!PolicyProbe.finiteKeys(v)) {
        return "non-finite key " + PolicyProbe.keys(v) + " for " + v.info;
      }
    }
    return null;
  }

  /** After every event: failures, virtual time, each remembered job's charged usage. */
  private String check() {
    if (host.failures() != 0) {
      return host.failures() + " policy failures";
    }
    double v = probe.virtualTime();
    if (!Double.isNaN(v) || !Double.isNaN(lastV)) {
      if (!Double.isFinite(v)) {
        return "virtual time is " + v;
      }
      if (v < lastV) {
        return "virtual time went back from " + lastV + " to " + v;
      }
      lastV = v;
    }
    return probe.eachJob(this::charged);
  }

  private String charged(String job, double usedMs) {
    double[] f = fed.get(job);
    double want = f == null ? 0 : f[0];
    if (Math.abs(usedMs - want) > 1e-9 * Math.max(1, want)) {
      return "job " + job + " charged " + usedMs + " ms, fed " + want + " ms";
    }
    return null;
  }

  /** The status document shows the same virtual time and charges as the policy's state. */
  private String checkStatus(long now) throws Exception {
    JsonNode s = JSON.readTree(policy.statusJson(now));
    JsonNode v = s.path("virtual_time");
    double want = probe.virtualTime();
    if (Double.isNaN(want) ? !(v.isMissingNode() || v.isNull()) : v.asDouble(Double.NaN) != want) {
      return "status shows virtual time " + v + ", the policy has " + want;
    }
    for (String list : new String[] {"jobs", "ended_jobs"}) {
      for (JsonNode j : s.path(list)) {
        String bad = charged(j.path("job").asText(), j.path("used_ms").asDouble(Double.NaN));
        if (bad != null) {
          return "status: " + bad;
        }
      }
    }
    return null;
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
        answer = bad == null ? "ok " + f[2] + " " + c.counts() : "violation " + bad.replace('\n', ' ');
      } catch (Throwable t) {
        answer = "violation exception " + t.toString().replace('\n', ' ');
      }
      System.out.println(answer);
      System.out.flush();
    }
  }
}
