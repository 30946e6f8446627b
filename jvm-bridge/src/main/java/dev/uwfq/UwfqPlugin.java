package dev.uwfq;

import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Entry point named in {@code spark.plugins}. Scheduling lives only on the driver; executors
 * load this class too (Spark instantiates every listed plugin there) but get no executor part.
 */
public final class UwfqPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return new UwfqDriverPlugin();
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return null;
  }
}
