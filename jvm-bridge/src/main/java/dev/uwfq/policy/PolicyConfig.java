package dev.uwfq.policy;

import dev.uwfq.Settings;
import dev.uwfq.estimate.CostEstimator;
import dev.uwfq.estimate.HistoryEstimator;

/**
 * What every policy is built with. {@code graceMs}: uwfq's bound on an active user's banked
 * credit (ms of the whole cluster's service), and how long an idle user is kept; {@code lingerMs}: how long an ended logical job is remembered so that
 * a later action of the same block continues it (then its cost goes to history and it is
 * forgotten); {@code maxLingering}: a bound on those remembered jobs.
 */
public record PolicyConfig(
    int cores,
    String defaultUser,
    Weights weights,
    CostEstimator estimator,
    double defaultCostMs,
    long graceMs,
    long lingerMs,
    int maxLingering) {

  public static PolicyConfig defaults(int cores) {
    long defaultCost = Settings.DEFAULT_COST_MS.defaultLong();
    return new PolicyConfig(cores, Settings.DEFAULT_USER.defaultValue(), Weights.uniform(),
        new HistoryEstimator(defaultCost, 10_000), defaultCost, Settings.GRACE_MS.defaultLong(),
        Settings.JOB_LINGER_MS.defaultLong(), 10_000);
  }

  public PolicyConfig withWeights(Weights w) {
    return new PolicyConfig(cores, defaultUser, w, estimator, defaultCostMs, graceMs, lingerMs, maxLingering);
  }

  public PolicyConfig withLingerMs(long ms) {
    return new PolicyConfig(cores, defaultUser, weights, estimator, defaultCostMs, graceMs, ms, maxLingering);
  }
}
