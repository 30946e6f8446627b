package dev.uwfq.partition;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.parquet.format.converter.ParquetMetadataConverter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFooterReader;

/**
 * The largest row group of a parquet scan's files. A parquet split reads the row groups whose
 * midpoint falls in it, so a split smaller than a row group can read nothing: a task that only
 * opens a footer. A split at least as large as the largest row group always holds a midpoint.
 * Footers are read once per file version (path, length, modification time) and kept.
 */
final class RowGroups {
  /** Beyond this many unread footers in one query, planning would wait on I/O: no floor. */
  private static final int MAX_FOOTERS_READ_PER_QUERY = 256;
  private static final int FILES_KEPT = 20_000;

  private record FileVersion(String path, long length, long modified) {}

  private static final Map<FileVersion, Long> LARGEST = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<FileVersion, Long> eldest) {
      return size() > FILES_KEPT;
    }
  };

  private RowGroups() {}

  /** The largest row group's compressed bytes over these parquet files; 0 when not known. */
  static long largest(List<FileStatus> files, Configuration hadoopConf) {
    long largest = 0;
    int read = 0;
    for (FileStatus file : files) {
      FileVersion version = new FileVersion(file.getPath().toString(), file.getLen(),
          file.getModificationTime());
      Long known;
      synchronized (LARGEST) {
        known = LARGEST.get(version);
      }
      if (known == null) {
        if (++read > MAX_FOOTERS_READ_PER_QUERY) {
          return 0;
        }
        try {
          known = largestInFile(file, hadoopConf);
        } catch (IOException | RuntimeException e) {
          return 0;  // an unreadable footer: the query will say so itself; no floor here
        }
        synchronized (LARGEST) {
          LARGEST.put(version, known);
        }
      }
      largest = Math.max(largest, known);
    }
    return largest;
  }

  private static long largestInFile(FileStatus file, Configuration conf) throws IOException {
    long largest = 0;
    for (BlockMetaData block : ParquetFooterReader.readFooter(
        HadoopInputFile.fromStatus(file, conf), ParquetMetadataConverter.NO_FILTER).getBlocks()) {
      largest = Math.max(largest, block.getCompressedSize());
    }
    return largest;
  }
}
