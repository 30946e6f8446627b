package dev.uwfq.policy;

/**
 * Writes one JSON document as it goes: objects, arrays, names and values, with the commas and
 * escaping done here. Non-finite numbers are written as null (JSON has no NaN), and whole
 * numbers without a fraction, so that Python reads ints where it expects them.
 */
public final class JsonWriter {
  private final StringBuilder out = new StringBuilder(256);
  // Per open container: whether the next member needs a comma before it.
  private boolean[] needsComma = new boolean[8];
  private int depth;
  private boolean afterName;

  public JsonWriter beginObject() {
    return open('{');
  }

  public JsonWriter endObject() {
    return close('}');
  }

  public JsonWriter beginArray() {
    return open('[');
  }

  public JsonWriter endArray() {
    return close(']');
  }

  /** The next member's name (inside an object). */
  public JsonWriter name(String name) {
    separate();
    string(name);
    out.append(':');
    afterName = true;
    return this;
  }

  public JsonWriter value(String s) {
    separate();
    if (s == null) {
      out.append("null");
    } else {
      string(s);
    }
    return this;
  }

  public JsonWriter value(long n) {
    separate();
    out.append(n);
    return this;
  }

  public JsonWriter value(double d) {
    separate();
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      out.append("null");
    } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      out.append((long) d);
    } else {
      out.append(d);
    }
    return this;
  }

  public JsonWriter value(boolean b) {
    separate();
    out.append(b);
    return this;
  }

  /** A value that is already a JSON document (a component's own status), written as it is. */
  public JsonWriter rawValue(String json) {
    separate();
    out.append(json);
    return this;
  }

  /** {@code s} as a JSON string literal, for code that builds its JSON by hand. */
  public static String quote(String s) {
    if (s == null) {
      return "null";
    }
    JsonWriter w = new JsonWriter();
    w.string(s);
    return w.toString();
  }

  public JsonWriter nullValue() {
    separate();
    out.append("null");
    return this;
  }

  /** Shorthands for a named member. */
  public JsonWriter field(String name, String s) {
    return name(name).value(s);
  }

  public JsonWriter field(String name, long n) {
    return name(name).value(n);
  }

  public JsonWriter field(String name, double d) {
    return name(name).value(d);
  }

  public JsonWriter field(String name, boolean b) {
    return name(name).value(b);
  }

  /** Where the document stands now, to {@link #reset} to if what follows cannot be finished. */
  public record Mark(int length, int depth, boolean needsComma, boolean afterName) {}

  public Mark mark() {
    return new Mark(out.length(), depth, needsComma[depth], afterName);
  }

  /** Drops everything written since {@code m} (a member half written by a failing call). */
  public JsonWriter reset(Mark m) {
    out.setLength(m.length());
    depth = m.depth();
    needsComma[depth] = m.needsComma();
    afterName = m.afterName();
    return this;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private JsonWriter open(char c) {
    separate();
    out.append(c);
    if (++depth == needsComma.length) {
      needsComma = java.util.Arrays.copyOf(needsComma, depth * 2);
    }
    needsComma[depth] = false;
    return this;
  }

  private JsonWriter close(char c) {
    out.append(c);
    depth--;
    return this;
  }

  private void separate() {
    if (afterName) {
      afterName = false;
      return;
    }
    if (depth > 0 && needsComma[depth]) {
      out.append(',');
    }
    needsComma[depth] = true;
  }

  private void string(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\t' -> out.append("\\t");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }
}
