package io.vhdfs.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * The object requests the test bed's S3 server has served since the last {@link #clear()}, in
 * the order they arrived: what a test measures when it asks how many round trips opening and
 * reading an image costs.
 */
public final class S3Requests {
  /** What a request asked for. */
  public enum Kind {
    /** HEAD of an object: its length and times. */
    HEAD,
    /** GET of an object, whole or a byte range. */
    GET,
    /** A listing of the bucket (ListObjects), as a provider's directory or existence check. */
    LIST,
    /** An upload of a whole object (PutObject). */
    PUT,
    /** A delete of an object, alone or in a batch. */
    DELETE
  }

  /**
   * One request.
   *
   * @param key the object key (for a listing, the prefix)
   * @param range the {@code Range} of a ranged GET as {@code first-last}, empty otherwise
   */
  public record Request(Kind kind, String key, String range) {
    /** Bytes a ranged GET asked for; -1 for a whole-object GET and for other kinds. */
    public long rangeLength() {
      if (kind != Kind.GET || range.isEmpty() || range.contains(",")) {
        return -1;
      }
      int dash = range.indexOf('-');
      if (dash <= 0 || dash == range.length() - 1) {
        return -1; // an open-ended range
      }
      return Long.parseLong(range.substring(dash + 1)) - Long.parseLong(range.substring(0, dash))
          + 1;
    }

    @Override
    public String toString() {
      return kind + " " + key + (range.isEmpty() ? "" : " bytes=" + range);
    }
  }

  private final List<Request> requests = new ArrayList<>();
  private volatile long latencyMillis;

  S3Requests() {}

  /**
   * Records a request the server is about to serve, then holds it for the latency set (outside
   * any lock, so requests in parallel wait side by side, as on a network).
   */
  void record(Kind kind, String key, String range) {
    synchronized (this) {
      requests.add(new Request(kind, key, range));
    }
    long wait = latencyMillis;
    if (wait > 0) {
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Makes the server take {@code millis} longer over every request from now on (0: none). */
  public void setLatencyMillis(long millis) {
    latencyMillis = millis;
  }

  /** Forgets what was served so far, so a test counts only what it does next. */
  public synchronized void clear() {
    requests.clear();
  }

  /** The requests served since the last {@link #clear()}, oldest first. */
  public synchronized List<Request> all() {
    return List.copyOf(requests);
  }

  /** How many requests of {@code kind} were served since the last {@link #clear()}. */
  public synchronized int count(Kind kind) {
    int n = 0;
    for (Request r : requests) {
      if (r.kind() == kind) {
        n++;
      }
    }
    return n;
  }

  /** The requests as lines, for messages and reports. */
  public synchronized String describe() {
    List<String> lines = new ArrayList<>();
    for (Request r : requests) {
      lines.add(r.toString());
    }
    return String.join("\n", lines);
  }
}
