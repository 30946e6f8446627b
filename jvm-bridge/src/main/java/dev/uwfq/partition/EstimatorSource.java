package dev.uwfq.partition;

import dev.uwfq.estimate.CostEstimator;
import dev.uwfq.identity.Identity;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * Lets the partitioner use the scheduler's cost estimator (history per job key, scaled by input
 * bytes). Only a key's own history counts: a fallback to the user's or the application's typical
 * job is a guess, not knowledge of this job, so such a job is left alone.
 */
public final class EstimatorSource implements JobEstimates.Source {
  private final CostEstimator estimator;
  private final String defaultUser;

  public EstimatorSource(CostEstimator estimator, String defaultUser) {
    this.estimator = estimator;
    this.defaultUser = defaultUser;
  }

  @Override
  public OptionalLong estimateMs(Properties jobProperties, long inputBytes) {
    // The same key the scheduler derives; -1: no Spark job exists yet while the query is planned.
    Identity id = Identity.of(jobProperties, -1, defaultUser);
    CostEstimator.Estimate e = estimator.estimate(id.user(), id.jobKey(), -1, inputBytes, -1);
    if (e == null || !e.knowsJob() || !(e.coreMs() >= 1)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.round(e.coreMs()));
  }
}
