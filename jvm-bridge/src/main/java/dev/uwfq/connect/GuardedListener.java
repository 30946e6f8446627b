package dev.uwfq.connect;

import java.util.function.Function;
import org.sparkproject.connect.grpc.ForwardingServerCallListener;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.Status;

/**
 * Checks each request message of a call before the server sees it: the first one that fails
 * closes the call with the check's status, and nothing of the call reaches the server after it.
 */
final class GuardedListener<ReqT, RespT>
    extends ForwardingServerCallListener.SimpleForwardingServerCallListener<ReqT> {
  private final ServerCall<ReqT, RespT> call;
  private final Function<Object, Status> check;
  private volatile boolean closed;

  GuardedListener(ServerCall.Listener<ReqT> next, ServerCall<ReqT, RespT> call,
      Function<Object, Status> check) {
    super(next);
    this.call = call;
    this.check = check;
  }

  @Override
  public void onMessage(ReqT message) {
    if (closed) {
      return;
    }
    Status status = check.apply(message);
    if (status.isOk()) {
      super.onMessage(message);
    } else {
      closed = true;
      call.close(status, new Metadata());
    }
  }

  @Override
  public void onHalfClose() {
    if (!closed) {
      super.onHalfClose();
    }
  }

  @Override
  public void onReady() {
    if (!closed) {
      super.onReady();
    }
  }
}
