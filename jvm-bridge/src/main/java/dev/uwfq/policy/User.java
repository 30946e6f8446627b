package dev.uwfq.policy;

import java.util.ArrayList;
import java.util.List;

/** A user in the book: its weight and its queued logical jobs. */
final class User {
  final String name;
  double weight;
  final List<Job> jobs = new ArrayList<>(); // queued logical jobs (a policy may keep them sorted)
  long idleSinceMs;

  User(String name, double weight) {
    this.name = name;
    this.weight = weight;
  }
}
