package org.apache.spark.uwfq.metrics;

import com.codahale.metrics.MetricRegistry;
import java.util.function.Consumer;
import org.apache.spark.SparkEnv;
import org.apache.spark.metrics.source.Source;

/**
 * Publishes the per-user gauges as their own metrics source,
 * {@code plugin.dev.uwfq.UwfqPlugin.users}. Spark copies a source's metrics into its registry
 * when the source is registered, so gauges added to the plugin's registry later would never be
 * reported; instead, whenever the set of users with series changes, the source is replaced
 * (removed, then registered with the new set). Sinks see the change like any other source's.
 */
public final class UserSeries implements Consumer<MetricRegistry> {
  static final String NAME = "plugin.dev.uwfq.UwfqPlugin.users";
  private Source current;

  @Override
  public synchronized void accept(MetricRegistry users) {
    SparkEnv env = SparkEnv.get();
    if (env == null) {
      return;
    }
    if (current != null) {
      env.metricsSystem().removeSource(current);
    }
    current = new Source() {
      @Override
      public String sourceName() {
        return NAME;
      }

      @Override
      public MetricRegistry metricRegistry() {
        return users;
      }
    };
    env.metricsSystem().registerSource(current);
  }
}
