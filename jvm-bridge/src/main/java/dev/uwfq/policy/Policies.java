package dev.uwfq.policy;

import java.util.List;

/** Builds a policy by the name {@code spark.uwfq.policy} gives. */
public final class Policies {
  /** Names a {@link SchedulingPolicy} exists for; "off" is handled by the caller (no policy). */
  public static final List<String> NAMES = List.of("uwfq", "ujf", "cfq", "fifo", "fair");
  /** What {@code spark.uwfq.policy} accepts: the policies, and "off". */
  public static final List<String> CONF_VALUES = List.of("uwfq", "ujf", "cfq", "fifo", "fair", "off");

  private Policies() {}

  public static SchedulingPolicy create(String name, PolicyConfig config) {
    switch (name) {
      case "uwfq":
        return new UwfqPolicy(config);
      case "ujf":
        return new UjfPolicy(config);
      case "cfq":
        return new CfqPolicy(config);
      case "fifo":
        return new FifoPolicy(config);
      case "fair":
        return new FairPolicy(config);
      default:
        throw new IllegalArgumentException(
            "unknown scheduling policy '" + name + "'; expected one of " + String.join(", ", NAMES));
    }
  }
}
