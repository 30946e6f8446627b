package dev.uwfq.identity;

import java.util.Set;

/**
 * Which identity sources the plugin believes, set once at start-up from the deployment's confs.
 *
 * @param serverRecord the Connect server's record of its executions
 * @param trustedUserProperty a job property that a trusted gateway sets (Kyuubi's
 *     {@code kyuubi.session.user}); never a {@code spark*} name, which clients could overwrite
 *     through session confs; null: none
 * @param proxyUsers Connect users allowed to charge a job to another user named in
 *     {@link SessionChannel#USER} (a notebook gateway that runs for its own users)
 */
public record IdentityRules(ServerRecord serverRecord, String trustedUserProperty,
    Set<String> proxyUsers) {
  private static volatile IdentityRules current = new IdentityRules(ServerRecord.NONE, null, Set.of());

  public IdentityRules {
    if (trustedUserProperty != null
        && (trustedUserProperty.isBlank() || trustedUserProperty.startsWith("spark"))) {
      throw new IllegalArgumentException(trustedUserProperty);
    }
    proxyUsers = Set.copyOf(proxyUsers);
  }

  public static IdentityRules current() {
    return current;
  }

  public static void install(IdentityRules rules) {
    current = rules;
  }
}
