package dev.uwfq.identity;

import dev.uwfq.Settings;
import dev.uwfq.UwfqConf;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the identity confs at start-up and installs the rules every job is identified by. */
public final class IdentitySettings {
  private static final Logger LOG = LoggerFactory.getLogger(IdentitySettings.class);

  private IdentitySettings() {}

  public static void install(UwfqConf conf) {
    String trusted = conf.string(Settings.TRUSTED_USER_PROPERTY);
    if (trusted.startsWith("spark")) {
      LOG.warn("spark-uwfq: {}={} is not used: clients can set any spark* property through "
          + "session confs; name a property only the gateway sets (e.g. kyuubi.session.user)",
          Settings.TRUSTED_USER_PROPERTY.key(), trusted);
      trusted = "";
    }
    Set<String> proxies = Arrays.stream(conf.string(Settings.CONNECT_PROXY_USERS).split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    IdentityRules.install(new IdentityRules(serverRecord(), trusted.isEmpty() ? null : trusted,
        proxies));
  }

  private static ServerRecord serverRecord() {
    try {
      return (ServerRecord) Class.forName("dev.uwfq.connect.ConnectServerRecord")
          .getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      return ServerRecord.NONE; // Spark without its Connect server classes
    }
  }
}
