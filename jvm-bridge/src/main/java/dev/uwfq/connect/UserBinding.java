package dev.uwfq.connect;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which Connect user ids an authenticated principal may use: its own name, or a sub-user
 * {@code principal+<name>} (a service's jobs apart from its interactive ones), at most
 * {@code maxUsers} distinct sub-users in the server's life, so no principal can give itself a
 * thousand fair shares.
 */
final class UserBinding {
  private final int maxUsers;
  private final Map<String, Set<String>> usersOf = new ConcurrentHashMap<>();

  UserBinding(int maxUsers) {
    this.maxUsers = Math.max(1, maxUsers);
  }

  /** Why {@code principal} may not act as {@code userId}, or null when it may. */
  String problem(String principal, String userId) {
    if (userId == null || userId.isEmpty()) {
      return "the request carries no user_context.user_id; connect with ;user_id=" + principal;
    }
    if (!userId.equals(principal) && !userId.startsWith(principal + "+")) {
      return "user_id '" + userId + "' is not the authenticated user '" + principal
          + "' (or one of its sub-users '" + principal + "+...')";
    }
    if (userId.equals(principal)) {
      return null;
    }
    Set<String> users = usersOf.computeIfAbsent(principal, p -> ConcurrentHashMap.newKeySet());
    if (users.contains(userId)) {
      return null;
    }
    synchronized (users) {
      if (users.size() >= maxUsers && !users.contains(userId)) {
        return "'" + principal + "' already uses " + users.size() + " sub-user ids, the most "
            + "spark.uwfq.connect.maxUsersPerPrincipal allows; reuse one of them";
      }
      users.add(userId);
    }
    return null;
  }
}
