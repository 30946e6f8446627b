package dev.uwfq.partition;

import java.util.Arrays;

/**
 * The split size that gives a file scan a wanted number of tasks. Spark cuts each splittable file
 * into pieces of the split size, sorts the pieces by size, and packs them next-fit, charging each
 * an open cost; with skewed files the leftover pieces add tasks, so the size is found by
 * replaying that packing rather than by dividing the bytes.
 */
public final class SplitSize {
  /** Beyond this many files, replaying the packing costs more than the precision is worth. */
  private static final int MAX_FILES_REPLAYED = 20_000;

  private SplitSize() {}

  /** The open cost used with a split: small, so that leftovers share tasks. */
  public static long openCost(long split, long confOpenCost) {
    return Math.min(confOpenCost, Math.max(1, split / 8));
  }

  /** The smallest split whose packing gives at most {@code tasks} tasks. */
  public static long forTasks(long[] fileLengths, int tasks, long confOpenCost) {
    long total = 0;
    for (long length : fileLengths) {
      total += length;
    }
    long lo = Math.max(1, (total + tasks - 1) / tasks);
    if (fileLengths.length > MAX_FILES_REPLAYED || total <= 0) {
      return lo;
    }
    long hi = Math.max(lo, total);
    while (lo < hi) {
      long mid = lo + (hi - lo) / 2;
      if (tasks(fileLengths, mid, openCost(mid, confOpenCost)) <= tasks) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** How many tasks Spark's packing makes of these files with this split and open cost. */
  public static int tasks(long[] fileLengths, long split, long openCost) {
    int pieces = 0;
    for (long length : fileLengths) {
      pieces += (int) ((length + split - 1) / split);  // an empty file makes no piece
    }
    long[] sizes = new long[pieces];
    int i = 0;
    for (long length : fileLengths) {
      for (long offset = 0; offset < length; offset += split) {
        sizes[i++] = Math.min(split, length - offset);
      }
    }
    Arrays.sort(sizes);
    int count = 0;
    long current = -1;  // -1: no task open
    for (int k = sizes.length - 1; k >= 0; k--) {
      if (current >= 0 && current + sizes[k] > split) {
        count++;
        current = -1;
      }
      current = Math.max(current, 0) + sizes[k] + openCost;
    }
    return current >= 0 ? count + 1 : count;
  }
}
