package org.apache.spark.uwfq.ui;

import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.status.AppHistoryServerPlugin;
import org.apache.spark.status.ElementTrackingStore;
import org.apache.spark.ui.SparkUI;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Registered in META-INF/services: the History Server replays an event log through
 * {@link HistoryListener} and, for applications that ran the plugin, shows the UWFQ tab read-only.
 */
public final class UwfqHistoryPlugin implements AppHistoryServerPlugin {
  @Override
  public Seq<SparkListener> createListeners(SparkConf conf, ElementTrackingStore store) {
    List<SparkListener> listeners = List.of(new HistoryListener(store));
    return CollectionConverters.asScala(listeners).toList();
  }

  @Override
  public void setupUI(SparkUI ui) {
    if (read(ui) != null) {
      ui.attachTab(new UwfqTab(ui, () -> {
        String json = read(ui);
        return json == null ? "{}" : json;
      }));
    }
  }

  private static String read(SparkUI ui) {
    try {
      return ui.store().store().read(HistoryDocument.class, HistoryDocument.ID).json;
    } catch (Exception e) { // NoSuchElementException: the application ran without the plugin
      return null;
    }
  }
}
