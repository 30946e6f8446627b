"""The notebook view of ``uwfq.status(spark)``: HTML tables with the viewer's jobs highlighted
and, for each waiting job, the one line the scheduler gives for why it waits."""

from __future__ import annotations

from html import escape
from typing import Any

HIGHLIGHT = "background-color:#fff3b0;font-weight:bold"


def _num(value: Any, scale: float = 1.0, digits: int = 1) -> str:
    if value is None or isinstance(value, bool):
        return ""
    return f"{value * scale:,.{digits}f}"


def _pct(value: Any) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _table(header: list[str], rows: list[tuple[bool, list[str]]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        f"<tr style=\"{HIGHLIGHT if mine else ''}\">" + "".join(f"<td>{c}</td>" for c in cells)
        + "</tr>" for mine, cells in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def why(job: dict[str, Any], viewer: str | None) -> str:
    """The scheduler's reason, in the second person for the viewer's own jobs."""
    text = job.get("why_waiting") or ""
    if viewer and job.get("user") == viewer:
        text = text.replace(f"{viewer}'s share", "your share")
    return text


def render(raw: dict[str, Any], viewer: str | None) -> str:
    cores = max(1, int(raw.get("cores") or 1))
    users = [(u.get("user") == viewer, [
        escape(str(u.get("user"))), _num(u.get("weight"), digits=2),
        _pct((u.get("share") or 0) / cores), _pct(u.get("share_now")),
        str(u.get("running_tasks", "")), str(u.get("queued_jobs", "")),
        _num(u.get("lag_ms"), 1e-3)]) for u in raw.get("users", [])]
    jobs = sorted(raw.get("jobs", []), key=lambda j: j.get("launch_rank") or 1 << 30)
    job_rows = [(j.get("user") == viewer, [
        str(j.get("launch_rank", "")), escape(str(j.get("job"))), escape(str(j.get("user"))),
        escape(str(j.get("key") or "")), _num(j.get("estimate_ms"), 1e-3),
        escape(str(j.get("source") or "")), _num(j.get("used_ms"), 1e-3),
        str(j.get("running_tasks", "")), str(j.get("remaining_tasks", "")),
        _num(j.get("waiting_ms"), 1e-3), escape(why(j, viewer))]) for j in jobs]
    mine = [j for j in jobs if j.get("user") == viewer and j.get("why_waiting")]
    lines = "".join(f"<li>job {escape(str(j['job']))} ({escape(str(j.get('key') or ''))}) "
                    f"waits: {escape(why(j, viewer))}</li>" for j in mine)
    summary = (f"<p>Policy <b>{escape(str(raw.get('policy')))}</b> on {cores} cores; "
               f"policy failures {raw.get('policy_failures', 0)}, FIFO fallback rounds "
               f"{raw.get('fallback_rounds', 0)}"
               + (f"; you are <b>{escape(viewer)}</b>" if viewer else "") + ".</p>")
    return (
        "<div class=\"uwfq-status\">" + summary
        + (f"<p>Your waiting jobs:</p><ul>{lines}</ul>" if lines else "")
        + "<h4>Users</h4>" + _table(
            ["user", "weight", "share", "share of cores now", "running tasks", "queued jobs",
             "lag (core-s)"], users)
        + f"<h4>Jobs in launch order ({escape(str(raw.get('launch_order', 'arrival')))})</h4>"
        + _table(["#", "job", "user", "key", "estimate (core-s)", "source", "used (core-s)",
                  "running", "remaining tasks", "waiting (s)", "why it waits"], job_rows)
        + "</div>")
