package org.apache.spark.uwfq.ui;

import java.util.function.Supplier;
import org.apache.spark.ui.SparkUI;
import org.apache.spark.ui.SparkUITab;

/** The "UWFQ" tab of the Spark UI (live, or in the History Server), over one status document. */
public final class UwfqTab extends SparkUITab {
  public UwfqTab(SparkUI parent, Supplier<String> status) {
    super(parent, "uwfq");
    attachPage(new UwfqPage(this, status));
  }

  @Override
  public String name() {
    return "UWFQ";
  }
}
