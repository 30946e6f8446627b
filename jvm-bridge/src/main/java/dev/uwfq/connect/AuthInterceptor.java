package dev.uwfq.connect;

import dev.uwfq.Settings;
import dev.uwfq.UwfqConf;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Set;
import org.apache.spark.SparkEnv;
import org.apache.spark.connect.proto.UserContext;
import org.sparkproject.connect.grpc.Grpc;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;
import org.sparkproject.connect.protobuf.Descriptors.FieldDescriptor;
import org.sparkproject.connect.protobuf.Message;

/**
 * Authenticates each Spark Connect client and binds the {@code user_id} of every request to the
 * authenticated principal ({@link UserBinding}); the plugin's scheduler then believes the user
 * that the server recorded for the session. Named in {@code spark.connect.grpc.interceptor.classes}.
 *
 * <p>{@code spark.uwfq.connect.auth=tokens} (default): a per-user token from
 * {@code spark.uwfq.connect.tokensFile}, sent in the {@code x-uwfq-token} header (connection
 * string {@code ;x-uwfq-token=...}) or as {@code authorization: Bearer}.
 * {@code proxy}: an authenticating proxy names the user in {@code spark.uwfq.connect.proxyHeader}
 * (default {@code x-forwarded-user}); calls from any address not in
 * {@code spark.uwfq.connect.trustedProxies} are refused.
 */
public final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> TOKEN =
      Metadata.Key.of("x-uwfq-token", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private final boolean proxyMode;
  private final TokenFile tokens;
  private final Metadata.Key<String> proxyHeader;
  private final Set<String> trustedProxies;
  private final UserBinding binding;

  public AuthInterceptor() {
    UwfqConf conf = new UwfqConf(SparkEnv.get().conf());
    proxyMode = "proxy".equals(conf.choice(Settings.CONNECT_AUTH));
    String file = conf.string(Settings.CONNECT_TOKENS_FILE);
    tokens = proxyMode || file.isEmpty() ? null : new TokenFile(Path.of(file), 1000);
    proxyHeader = Metadata.Key.of(conf.string(Settings.CONNECT_PROXY_HEADER),
        Metadata.ASCII_STRING_MARSHALLER);
    trustedProxies = Set.of(conf.string(Settings.CONNECT_TRUSTED_PROXIES).split("\\s*,\\s*"));
    binding = new UserBinding((int) conf.integer(Settings.CONNECT_MAX_USERS_PER_PRINCIPAL));
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String principal;
    String refusal;
    if (proxyMode) {
      String from = remoteHost(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
      principal = trustedProxies.contains(from) ? headers.get(proxyHeader) : null;
      refusal = trustedProxies.contains(from)
          ? "the proxy sent no " + proxyHeader.name() + " header"
          : "connections are accepted only from the authenticating proxy "
              + "(spark.uwfq.connect.trustedProxies), not from " + from;
    } else if (tokens == null) {
      principal = null;
      refusal = "the server has no token file: set spark.uwfq.connect.tokensFile";
    } else {
      principal = tokens.principalOf(tokenOf(headers));
      refusal = "missing or unknown token: connect with ;x-uwfq-token=<your token>";
    }
    if (principal == null || principal.isBlank()) {
      call.close(Status.UNAUTHENTICATED.withDescription("spark-uwfq: " + refusal), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    String user = principal.trim();
    return new GuardedListener<>(next.startCall(call, headers), call, m -> check(user, m));
  }

  private Status check(String principal, Object message) {
    String problem = binding.problem(principal, userIdOf(message));
    return problem == null ? Status.OK
        : Status.PERMISSION_DENIED.withDescription("spark-uwfq: " + problem);
  }

  /** The user_context.user_id of any Connect request; null when it has none. */
  static String userIdOf(Object message) {
    if (!(message instanceof Message m)) {
      return null;
    }
    FieldDescriptor field = m.getDescriptorForType().findFieldByName("user_context");
    if (field == null || !(m.getField(field) instanceof UserContext context)) {
      return null;
    }
    return context.getUserId();
  }

  private static String tokenOf(Metadata headers) {
    String token = headers.get(TOKEN);
    if (token != null) {
      return token.trim();
    }
    String auth = headers.get(AUTHORIZATION);
    return auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : null;
  }

  private static String remoteHost(SocketAddress address) {
    return address instanceof InetSocketAddress a && a.getAddress() != null
        ? a.getAddress().getHostAddress() : String.valueOf(address);
  }
}
