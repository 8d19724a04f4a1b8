package io.vhdfs.partition;

import java.util.ArrayList;
import java.util.List;

/** What was wrong with a partition table, each reason naming the image it was read from. */
final class TableProblems {
  private final String image;
  private final List<String> reasons = new ArrayList<>();

  TableProblems(String image) {
    this.image = image;
  }

  void add(String reason) {
    reasons.add(image + ": " + reason);
  }

  List<String> list() {
    return List.copyOf(reasons);
  }
}
