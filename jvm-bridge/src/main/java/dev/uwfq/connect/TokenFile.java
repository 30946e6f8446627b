package dev.uwfq.connect;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-user tokens from a properties file of {@code principal = token} lines, re-read by a daemon
 * thread when the file changes (never on a request's path: a request only reads the current map).
 * Tokens are kept as SHA-256 digests, looked up by digest. A file that cannot be read or holds no
 * token keeps the previous map and logs why; at start-up it means no client is let in.
 */
final class TokenFile {
  private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);
  private final Path path;
  private volatile Map<String, String> principalOfDigest = Map.of();
  private long loadedModified = Long.MIN_VALUE;

  TokenFile(Path path, long checkEveryMs) {
    this.path = path;
    reload();
    ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "uwfq-connect-tokens");
      t.setDaemon(true);
      return t;
    });
    reloader.scheduleWithFixedDelay(this::reload, checkEveryMs, checkEveryMs,
        TimeUnit.MILLISECONDS);
  }

  /** The principal whose token this is, or null. */
  String principalOf(String token) {
    return token == null || token.isEmpty() ? null : principalOfDigest.get(digest(token));
  }

  synchronized void reload() {
    try {
      long modified = Files.getLastModifiedTime(path).toMillis();
      if (modified == loadedModified) {
        return;
      }
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(path)) {
        p.load(in);
      }
      Map<String, String> map = new HashMap<>();
      for (String principal : p.stringPropertyNames()) {
        String token = p.getProperty(principal).trim();
        if (principal.isBlank() || token.length() < 16) {
          LOG.warn("spark-uwfq: {}: the token of '{}' is shorter than 16 characters; ignored",
              path, principal);
          continue;
        }
        map.put(digest(token), principal.trim());
      }
      principalOfDigest = Map.copyOf(map);
      loadedModified = modified;
      LOG.info("spark-uwfq: loaded {} Connect tokens from {}", map.size(), path);
    } catch (IOException | RuntimeException e) {
      LOG.warn("spark-uwfq: cannot read the Connect token file {} ({}); keeping the tokens loaded "
          + "before ({})", path, e.toString(), principalOfDigest.size());
    }
  }

  private static String digest(String token) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
