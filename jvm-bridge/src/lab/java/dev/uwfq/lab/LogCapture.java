package dev.uwfq.lab;

import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Keeps the messages the driver logs at WARN and above under one logger name (e.g. "dev.uwfq"),
 * so that a test can check that a bad setting was warned about in the driver's own log. Bounded;
 * attached and detached from Python through py4j.
 */
public final class LogCapture extends AbstractAppender {
  private static final int MAX_MESSAGES = 10_000;
  private final List<String> messages = new ArrayList<>();
  private final String loggerName;

  private LogCapture(String loggerName) {
    super("uwfq-log-capture-" + loggerName, null, null, true, Property.EMPTY_ARRAY);
    this.loggerName = loggerName;
  }

  /** Starts capturing WARN and above under {@code loggerName}. */
  public static LogCapture start(String loggerName) {
    LogCapture capture = new LogCapture(loggerName);
    capture.start();
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Configuration config = ctx.getConfiguration();
    LoggerConfig logger = config.getLoggerConfig(loggerName);
    if (!logger.getName().equals(loggerName)) { // no config of its own yet: add one below root
      logger = new LoggerConfig(loggerName, null, true);
      config.addLogger(loggerName, logger);
    }
    logger.setLevel(Level.WARN); // so that WARN reaches the appender whatever the root level
    logger.addAppender(capture, Level.WARN, null);
    ctx.updateLoggers();
    return capture;
  }

  @Override
  public void append(LogEvent event) {
    synchronized (messages) {
      if (messages.size() < MAX_MESSAGES) {
        messages.add(event.getMessage().getFormattedMessage());
      }
    }
  }

  /** What was captured so far, oldest first. */
  public List<String> messages() {
    synchronized (messages) {
      return new ArrayList<>(messages);
    }
  }

  /** Detaches the appender. */
  public void close() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getLoggerConfig(loggerName).removeAppender(getName());
    ctx.updateLoggers();
    stop();
  }
}
