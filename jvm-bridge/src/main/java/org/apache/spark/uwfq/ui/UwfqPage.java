package org.apache.spark.uwfq.ui;

import jakarta.servlet.http.HttpServletRequest;
import java.util.function.Supplier;
import org.apache.spark.ui.UIUtils;
import org.apache.spark.ui.WebUIPage;
import org.json4s.JValue;
import scala.Option;
import scala.collection.immutable.Seq;
import scala.xml.Node;
import scala.xml.Unparsed;

/**
 * The tab's one page, at {@code /uwfq/}, and the same document as JSON at {@code /uwfq/json}
 * (Spark serves every page's {@code renderJson} there). Each request reads one status document
 * and renders from it; nothing here touches the scheduler.
 */
final class UwfqPage extends WebUIPage {
  private final UwfqTab tab;
  private final Supplier<String> status;

  UwfqPage(UwfqTab tab, Supplier<String> status) {
    super("");
    this.tab = tab;
    this.status = status;
  }

  @Override
  public Seq<Node> render(HttpServletRequest request) {
    String html = StatusHtml.render(status.get());
    Seq<Node> content = new Unparsed(html);
    return UIUtils.headerSparkPage(request, "UWFQ scheduler", () -> content, tab, Option.empty(),
        false, false, false);
  }

  @Override
  public JValue renderJson(HttpServletRequest request) {
    try {
      return org.json4s.jackson.JsonMethods$.MODULE$.mapper().readValue(status.get(), JValue.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the scheduler's status is not valid JSON", e);
    }
  }
}
