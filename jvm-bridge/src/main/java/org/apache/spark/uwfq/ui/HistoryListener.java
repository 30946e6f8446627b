package org.apache.spark.uwfq.ui;

import dev.uwfq.history.HistoryState;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.status.ElementTrackingStore;
import scala.runtime.BoxedUnit;

/**
 * In the History Server: replays the scheduler's state-change events into a {@link HistoryState}
 * and writes its document to the application's store once, when the replay is flushed (or the
 * application ended), not on every event.
 */
final class HistoryListener extends SparkListener {
  private final ElementTrackingStore store;
  private final HistoryState state = new HistoryState();

  HistoryListener(ElementTrackingStore store) {
    this.store = store;
    store.onFlush(() -> {
      write();
      return BoxedUnit.UNIT;
    });
  }

  @Override
  public void onOtherEvent(SparkListenerEvent event) {
    state.apply(event);
  }

  @Override
  public void onApplicationEnd(SparkListenerApplicationEnd end) {
    write();
  }

  private void write() {
    if (state.seen()) {
      store.write(new HistoryDocument(state.json()));
    }
  }
}
