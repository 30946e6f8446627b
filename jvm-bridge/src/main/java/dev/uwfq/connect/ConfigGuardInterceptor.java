package dev.uwfq.connect;

import dev.uwfq.identity.ProtectedKeys;
import org.apache.spark.connect.proto.ConfigRequest;
import org.apache.spark.connect.proto.KeyValue;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

/**
 * Rejects a Connect client's {@code spark.conf.set} of a scheduling property
 * ({@link ProtectedKeys}) or a bad value of the plugin's session channel, with a message that
 * says what to set instead. SQL {@code SET} is checked by the SQL extension's check rule
 * ({@link SetCommandGuard}). Named in {@code spark.connect.grpc.interceptor.classes}.
 */
public final class ConfigGuardInterceptor implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    return new GuardedListener<>(next.startCall(call, headers), call,
        ConfigGuardInterceptor::check);
  }

  static Status check(Object message) {
    if (!(message instanceof ConfigRequest request)
        || request.getOperation().getOpTypeCase() != ConfigRequest.Operation.OpTypeCase.SET) {
      return Status.OK;
    }
    for (KeyValue pair : request.getOperation().getSet().getPairsList()) {
      String problem = ProtectedKeys.problem(pair.getKey(), pair.getValue());
      if (problem != null) {
        return Status.PERMISSION_DENIED.withDescription("spark-uwfq: " + problem);
      }
    }
    return Status.OK;
  }
}
