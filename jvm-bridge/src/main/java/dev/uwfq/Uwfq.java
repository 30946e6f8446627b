package dev.uwfq;

import dev.uwfq.events.EventRecorder;
import dev.uwfq.spark.SchedulerHook;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.apache.spark.SparkContext;

/**
 * Static facade that Python reaches through py4j ({@code spark._jvm.dev.uwfq.Uwfq}).
 *
 * <p>SQL can call public static methods whose arguments are literals ({@code java_method},
 * {@code reflect}), so every method here that changes state takes the SparkContext, which SQL
 * cannot pass; the test hook also needs {@code spark.uwfq.testing.enabled} set at start-up.
 */
public final class Uwfq {
  private static final Properties BUILD = loadBuildInfo();
  private static volatile String failure = null;
  private static volatile EventRecorder events = null;
  private static volatile SparkContext testingContext = null;

  private Uwfq() {}

  /** True once the scheduling hook is installed in this JVM's SparkContext. */
  public static boolean installed() {
    return SchedulerHook.isInstalled();
  }

  /** The spark-uwfq version this jar was built as. */
  public static String version() {
    return BUILD.getProperty("version", "unknown");
  }

  /** The Spark version whose jars this bridge was compiled against. */
  public static String builtAgainstSpark() {
    return BUILD.getProperty("spark.version", "unknown");
  }

  /** Why installation failed, or null. */
  public static String installFailure() {
    return failure;
  }

  /**
   * Users and logical jobs of the scheduling policy, as one JSON document (one py4j call;
   * spark_uwfq.status turns it into DataFrames).
   */
  public static String status() {
    return StatusDocument.build(SchedulerHook.status());
  }

  /** How many times the policy failed and the scheduler fell back to FIFO for that round. */
  public static long policyFailures() {
    return SchedulerHook.policyFailures();
  }

  /**
   * For tests only: while {@code on}, every call into the policy throws, so that tests can
   * check the FIFO fallback on a real scheduler. Never use it in production.
   */
  public static void injectPolicyFailure(SparkContext sc, boolean on) {
    if (sc == null || sc != testingContext) {
      throw new IllegalStateException("injectPolicyFailure is a test hook: start the application "
          + "with spark.uwfq.testing.enabled=true to use it");
    }
    SchedulerHook.injectPolicyFailure(sc, on);
  }

  /** The event recorder of this application, or null when spark.uwfq.events.capacity is 0. */
  public static EventRecorder events() {
    return events;
  }

  /**
   * The last {@code limit} recorded events (at most 100,000), as TSV, after the listener bus has
   * delivered what was posted (up to 10 s); read-only, for clients without py4j (Spark Connect:
   * {@code SELECT java_method('dev.uwfq.Uwfq', 'recentEvents', 5000)}). Empty when recording is off.
   */
  public static String recentEvents(int limit) {
    EventRecorder recorder = events;
    if (recorder == null) {
      return "";
    }
    recorder.flush(10_000);
    return recorder.recent(Math.min(limit, 100_000));
  }

  /** The runtime partitioner's recent decisions, as tab-separated text with a header line. */
  public static String partitionDecisions() {
    return dev.uwfq.partition.DecisionLog.asTsv();
  }

  /** Forget the partitioner's decisions so far (of the application {@code sc}). */
  public static void clearPartitionDecisions(SparkContext sc) {
    dev.uwfq.partition.DecisionLog.clear(sc);
  }

  static void setEventRecorder(EventRecorder recorder) {
    events = recorder;
  }

  static void setTesting(SparkContext sc, boolean enabled) {
    testingContext = enabled ? sc : null;
  }

  static void markFailed(Throwable t) {
    failure = t.toString();
  }

  private static Properties loadBuildInfo() {
    Properties p = new Properties();
    try (InputStream in = Uwfq.class.getResourceAsStream("/dev/uwfq/build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException ignored) {
      // Build info is informational only.
    }
    return p;
  }
}
