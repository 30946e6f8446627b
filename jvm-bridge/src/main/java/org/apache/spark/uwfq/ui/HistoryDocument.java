package org.apache.spark.uwfq.ui;

import org.apache.spark.util.kvstore.KVIndex;

/**
 * The rebuilt status document of a finished application, one entry in the History Server's
 * application store (read by the tab; Jackson-serializable for a disk-backed store).
 */
public final class HistoryDocument {
  static final String ID = "uwfq";

  @KVIndex
  public String id = ID;
  public String json;

  public HistoryDocument() {} // for the store's serializer

  HistoryDocument(String json) {
    this.json = json;
  }
}
