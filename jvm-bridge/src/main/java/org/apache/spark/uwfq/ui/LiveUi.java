package org.apache.spark.uwfq.ui;

import dev.uwfq.Uwfq;
import org.apache.spark.SparkContext;
import org.apache.spark.ui.SparkUI;

/** Attaches the UWFQ tab to a live application's UI (when the UI is enabled). */
public final class LiveUi {
  private LiveUi() {}

  /** The tab attached, or null when the application has no UI. */
  public static UwfqTab attach(SparkContext sc) {
    if (sc.ui().isEmpty()) {
      return null;
    }
    SparkUI ui = sc.ui().get();
    UwfqTab tab = new UwfqTab(ui, Uwfq::status);
    ui.attachTab(tab);
    return tab;
  }

  public static void detach(SparkContext sc, UwfqTab tab) {
    if (tab != null && sc.ui().isDefined()) {
      sc.ui().get().detachTab(tab);
    }
  }
}
