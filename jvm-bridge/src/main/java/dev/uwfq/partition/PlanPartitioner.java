package dev.uwfq.partition;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.catalyst.plans.physical.HashPartitioning;
import org.apache.spark.sql.catalyst.plans.physical.Partitioning;
import org.apache.spark.sql.catalyst.plans.physical.RangePartitioning;
import org.apache.spark.sql.classic.SparkSession;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.LocalTableScanExec;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.exchange.Exchange;
import org.apache.spark.sql.execution.exchange.ReusedExchangeExec;
import org.apache.spark.sql.execution.ListingPartition;
import org.apache.spark.sql.execution.ScanFileListing;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.datasources.FileStatusWithMetadata;
import org.apache.spark.sql.execution.datasources.HadoopFsRelation;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.exchange.ENSURE_REQUIREMENTS$;
import org.apache.spark.sql.execution.exchange.REPARTITION_BY_NUM$;
import org.apache.spark.sql.execution.exchange.ShuffleExchangeExec;
import org.apache.spark.sql.internal.SQLConf;
import scala.Function1;
import scala.collection.Iterator;
import scala.runtime.AbstractPartialFunction;

/**
 * Gives one planned query of one job its task count. Runs on the planning thread, so the job's
 * local properties (thread-local in SparkContext) say which job it is; everything it decides goes
 * into the plan itself (a scan's relation, an exchange's partitioning), never into the shared
 * session conf, so concurrent jobs in one session cannot race.
 *
 * <ul>
 *   <li>A splittable file scan gets the split size that yields the count.</li>
 *   <li>A scan that cannot be split (a non-splittable file, bucketed, single-task, not a file
 *       source) is left alone: no repartition is ever added.</li>
 *   <li>Shuffles Spark inserted with the default partition count get the count, marked as
 *       repartition-by-number so that AQE coalescing keeps it. Left alone next to a bucketed
 *       scan, whose joins need matching bucket counts.</li>
 * </ul>
 */
final class PlanPartitioner {
  /**
   * Set in the relation's options of every scan given a split. HadoopFsRelation's session is not
   * part of its equality, so without it the new scan would equal the old one and transformUp
   * would keep the old; it also marks a scan as done when AQE plans the query again.
   */
  static final String SPLIT_OPTION = "uwfq.splitBytes";

  private PlanPartitioner() {}

  static SparkPlan apply(SparkSession session, SparkPlan plan, boolean setShuffles) {
    SQLConf conf = session.sessionState().conf();
    PartitionerSettings settings = PartitionerSettings.from(conf);
    if (!settings.enabled()) {
      return plan;
    }
    List<FileSourceScanExec> scans = new ArrayList<>();
    List<ShuffleExchangeExec> shuffles = new ArrayList<>();
    List<SparkPlan> otherSources = new ArrayList<>();
    boolean stagePlan = collect(plan, scans, shuffles, otherSources) || plan instanceof Exchange;
    if (!setShuffles && stagePlan) {
      // One stage of an AQE plan: the preparation pass saw the whole plan and noted its sources.
      otherSources.clear();
    }
    scans.removeIf(s -> s.relation().options().contains(SPLIT_OPTION));
    int defaultShuffle = conf.numShufflePartitions();
    boolean bucketed = false;
    for (FileSourceScanExec s : scans) {
      bucketed |= s.bucketedScan();
    }
    if (!setShuffles || bucketed) {
      shuffles.clear();
    }
    shuffles.removeIf(e -> !defaultShuffle(e, defaultShuffle));
    if (scans.isEmpty() && shuffles.isEmpty() && otherSources.isEmpty()) {
      return plan;
    }

    long inputBytes = scans.isEmpty() ? -1 : 0;
    for (FileSourceScanExec s : scans) {
      inputBytes += s.selectedPartitions().totalFileSize();
    }
    SparkContext sc = session.sparkContext();
    Properties props = sc.getLocalProperties();
    JobEstimates.Estimate estimate = JobEstimates.lookup(props, inputBytes);
    if (estimate == null) {
      return plan;
    }
    String jobId = props.getProperty("uwfq.jobId");
    String executionId = props.getProperty("spark.sql.execution.id");
    StringBuilder detail = new StringBuilder();
    long estimateMs = estimate.estimateMs();
    if (estimate.requestedTasks() <= 0) {
      // The estimate is the whole job's; this query gets at most its even share (BlockQueries).
      int query = BlockQueries.ordinal(jobId, executionId);
      if (query > 1) {
        estimateMs = Math.max(1, estimateMs / query);
        note(detail, "query " + query + " of its job: " + estimate.estimateMs() + " / " + query
            + " ms");
      }
    }
    int tasks = estimate.requestedTasks() > 0
        ? TaskCount.forRequest(estimate.requestedTasks(), settings.maxTasks())
        : TaskCount.forEstimate(estimateMs, settings.targetTaskMs(),
            sc.defaultParallelism(), settings.maxTasks());

    Map<FileSourceScanExec, FileSourceScanExec> newScans = new IdentityHashMap<>();
    int leftAlone = 0;
    for (FileSourceScanExec s : scans) {
      List<FileStatus> statuses = new ArrayList<>();
      String why = whyNotSplittable(s, statuses);
      if (why == null) {
        long[] files = statuses.stream().mapToLong(FileStatus::getLen).toArray();
        long split = SplitSize.forTasks(files, tasks, conf.filesOpenCostInBytes());
        String raised = "";
        if (s.relation().fileFormat() instanceof ParquetFileFormat) {
          // A smaller split than a row group makes tasks that read nothing but a footer.
          long rowGroup = RowGroups.largest(statuses, session.sessionState().newHadoopConf());
          if (split < rowGroup) {
            split = rowGroup;
            raised = " (raised to the largest row group)";
          }
        }
        long openCost = SplitSize.openCost(split, conf.filesOpenCostInBytes());
        newScans.put(s, withSplit(s, split, openCost));
        note(detail, "scan " + describe(s) + ": " + files.length + " files, "
            + s.selectedPartitions().totalFileSize() + " bytes, split " + split + raised + " -> "
            + SplitSize.tasks(files, split, openCost) + " tasks");
      } else {
        leftAlone++;
        note(detail, "scan " + describe(s) + " left alone: " + why);
      }
    }
    for (SparkPlan source : otherSources) {
      leftAlone++;
      note(detail, source.nodeName() + " left alone: not a file scan");
    }
    if (!shuffles.isEmpty()) {
      note(detail, shuffles.size() + " shuffle(s) " + defaultShuffle + " -> " + tasks
          + " partitions");
    }
    int shufflesSet = shuffles.size();
    SparkPlan result = newScans.isEmpty() && shufflesSet == 0
        ? plan : plan.transformUp(new Rewrite(newScans, shufflesSet > 0, defaultShuffle, tasks));
    DecisionLog.record(new Decision(System.currentTimeMillis(), jobId,
        props.getProperty("uwfq.jobKey"), executionId, estimate.source(), estimateMs, tasks,
        newScans.size(), leftAlone, shufflesSet,
        detail.toString()));
    return result;
  }

  /** Gathers file scans, shuffles and other sources; true when the plan holds query stages. */
  private static boolean collect(SparkPlan plan, List<FileSourceScanExec> scans,
                                 List<ShuffleExchangeExec> shuffles, List<SparkPlan> others) {
    if (plan instanceof FileSourceScanExec s) {
      scans.add(s);
      return false;
    }
    if (plan instanceof QueryStageExec) {
      return true;
    }
    if (plan instanceof AdaptiveSparkPlanExec) {
      return false;  // AQE's own plan: shaped by the preparation pass, not a source of its own
    }
    if (plan instanceof ShuffleExchangeExec e) {
      shuffles.add(e);
    } else if (plan.children().isEmpty() && !(plan instanceof ReusedExchangeExec)
        && !(plan instanceof LocalTableScanExec)) {
      others.add(plan);  // a source whose partitioning is its own (range, RDD, cache, DSv2...)
    }
    boolean stages = false;
    Iterator<SparkPlan> children = plan.children().iterator();
    while (children.hasNext()) {
      stages |= collect(children.next(), scans, shuffles, others);
    }
    return stages;
  }

  /** A shuffle Spark added for a required distribution with its default count: ours to size. */
  private static boolean defaultShuffle(ShuffleExchangeExec e, int defaultCount) {
    Partitioning p = e.outputPartitioning();
    return e.shuffleOrigin() == ENSURE_REQUIREMENTS$.MODULE$
        && (p instanceof HashPartitioning || p instanceof RangePartitioning)
        && p.numPartitions() == defaultCount;
  }

  /** Null when the scan can be split freely (then its files are added); else why not. */
  private static String whyNotSplittable(FileSourceScanExec s, List<FileStatus> statuses) {
    if (s.bucketedScan()) {
      return "bucketed";
    }
    if (s.useSingleTaskExecution()) {
      return "single-task scan";
    }
    HadoopFsRelation relation = s.relation();
    ScanFileListing listing = s.selectedPartitions();
    if (listing.totalFileSize() <= 0) {
      return "no input bytes";
    }
    Iterator<ListingPartition> partitions = listing.filePartitionIterator();
    while (partitions.hasNext()) {
      Iterator<FileStatusWithMetadata> files = partitions.next().files();
      while (files.hasNext()) {
        FileStatusWithMetadata file = files.next();
        Path path = file.getPath();
        statuses.add(file.fileStatus());
        if (!relation.fileFormat().isSplitable(relation.sparkSession(), relation.options(), path)) {
          return "not splittable (" + relation.fileFormat() + ", " + path.getName() + ")";
        }
      }
    }
    return null;
  }

  private static FileSourceScanExec withSplit(FileSourceScanExec s, long split, long openCost) {
    HadoopFsRelation r = s.relation();
    SparkSession clone = ScanSessions.withSplit((SparkSession) r.sparkSession(), split, openCost);
    HadoopFsRelation relation = r.copy(r.copy$default$1(), r.copy$default$2(), r.copy$default$3(),
        r.copy$default$4(), r.copy$default$5(),
        r.options().updated(SPLIT_OPTION, String.valueOf(split)), clone);
    return s.copy(relation, s.copy$default$2(), s.copy$default$3(), s.copy$default$4(),
        s.copy$default$5(), s.copy$default$6(), s.copy$default$7(), s.copy$default$8(),
        s.copy$default$9(), s.copy$default$10(), s.copy$default$11());
  }

  private static ShuffleExchangeExec withPartitions(ShuffleExchangeExec e, int n) {
    Partitioning p = e.outputPartitioning();
    Partitioning sized = p instanceof HashPartitioning h
        ? h.copy(h.copy$default$1(), n)
        : ((RangePartitioning) p).copy(((RangePartitioning) p).copy$default$1(), n);
    // REPARTITION_BY_NUM: AQE's CoalesceShufflePartitions leaves such shuffles as they are.
    return e.copy(sized, e.copy$default$2(), REPARTITION_BY_NUM$.MODULE$, e.copy$default$4(),
        e.copy$default$5());
  }

  private static String describe(FileSourceScanExec s) {
    var roots = s.relation().location().rootPaths();
    String first = roots.isEmpty() ? "?" : roots.head().getName();
    return s.relation().fileFormat() + " " + first + (roots.size() > 1 ? " (+" + (roots.size() - 1)
        + ")" : "");
  }

  private static void note(StringBuilder detail, String text) {
    if (detail.length() > 0) {
      detail.append("; ");
    }
    detail.append(text);
  }

  /** Swaps the chosen scans and sizes the default shuffles; transformUp keeps node tags. */
  private static final class Rewrite extends AbstractPartialFunction<SparkPlan, SparkPlan> {
    private final Map<FileSourceScanExec, FileSourceScanExec> scans;
    private final boolean shuffles;
    private final int defaultCount;
    private final int tasks;

    Rewrite(Map<FileSourceScanExec, FileSourceScanExec> scans, boolean shuffles, int defaultCount,
            int tasks) {
      this.scans = scans;
      this.shuffles = shuffles;
      this.defaultCount = defaultCount;
      this.tasks = tasks;
    }

    @Override
    public boolean isDefinedAt(SparkPlan p) {
      return scans.containsKey(p)
          || (shuffles && p instanceof ShuffleExchangeExec e && defaultShuffle(e, defaultCount));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A1 extends SparkPlan, B1> B1 applyOrElse(A1 p, Function1<A1, B1> otherwise) {
      FileSourceScanExec scan = scans.get(p);
      if (scan != null) {
        return (B1) scan;
      }
      if (shuffles && p instanceof ShuffleExchangeExec e && defaultShuffle(e, defaultCount)) {
        return (B1) withPartitions(e, tasks);
      }
      return otherwise.apply(p);
    }
  }
}
