package dev.uwfq.partition;

import dev.uwfq.estimate.CostEstimator;
import dev.uwfq.identity.Identity;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * Lets the partitioner use the scheduler's cost estimator (history per job key, scaled by input
 * bytes). Its cold-start default is a guess, not knowledge of the job: the job is then left alone.
 */
public final class EstimatorSource implements JobEstimates.Source {
  private final CostEstimator estimator;

  public EstimatorSource(CostEstimator estimator) {
    this.estimator = estimator;
  }

  @Override
  public OptionalLong estimateMs(Properties jobProperties, long inputBytes) {
    // The same key the scheduler derives; -1: no Spark job exists yet while the query is planned.
    String key = Identity.of(jobProperties, -1, "default").jobKey();
    CostEstimator.Estimate e = estimator.estimate(key, -1, inputBytes);
    if (e == null || "default".equals(e.source()) || !(e.coreMs() >= 1)) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.round(e.coreMs()));
  }
}
