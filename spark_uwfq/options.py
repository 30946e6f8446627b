"""The plugin's options: one table, read by configure(), the CLI and the docs.

Every option is a ``spark.uwfq.*`` conf. The JVM reads the same keys leniently (a bad value
there is a warning and the default); here, at configuration time, a bad value is an error the
user can fix before the application starts.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable

POLICIES = ("uwfq", "ujf", "cfq", "fifo", "fair", "off")


@dataclass(frozen=True)
class Option:
    name: str  # keyword accepted by configure()
    key: str  # Spark conf key
    default: Any
    expected: str  # how an error describes a valid value
    parse: Callable[[Any], str]  # returns the conf string or raises ValueError
    doc: str


def _choice(values: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in values:
            raise ValueError
        return text

    return parse


def _positive_int(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError
    number = int(value)
    if number <= 0 or number != float(value):
        raise ValueError
    return str(number)


def _non_negative_int(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError
    number = int(value)
    if number < 0 or number != float(value):
        raise ValueError
    return str(number)


def _at_least(value: Any, least: int) -> str:
    text = _positive_int(value)
    if int(text) < least:
        raise ValueError
    return text


def _non_empty(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or "," in value:
        raise ValueError
    return value.strip()


def _non_spark(value: Any) -> str:
    text = str(value).strip()
    if text.startswith("spark"):
        raise ValueError  # clients can set spark* properties through session confs
    return text


def _bool(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError
    return text


def parse_weights(value: Any) -> dict[str, float]:
    """``{"alice": 2, "bob": 1}`` or ``"alice:2,bob:1"`` -> ``{"alice": 2.0, "bob": 1.0}``."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, str):
        items = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            user, sep, weight = part.rpartition(":")
            if not sep or not user.strip():
                raise ValueError
            items.append((user.strip(), weight))
    else:
        raise ValueError
    weights = {}
    for user, weight in items:
        number = float(weight)
        if not isinstance(user, str) or not user or not number > 0 or number == float("inf"):
            raise ValueError
        weights[user] = number
    return weights


def _weights(value: Any) -> str:
    return ",".join(f"{u}:{w:g}" for u, w in parse_weights(value).items())


def _path(value: Any) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError
    return text


def _fraction(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError
    return f"{number:g}"


def parse_limit(value: Any) -> str:
    """A share limit: a fraction of the cores (0.5 or "50%") or a whole count of cores (4)."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        if value <= 0:
            raise ValueError
        return str(value)
    if isinstance(value, float):
        if not 0.0 < value <= 1.0:
            raise ValueError
        return f"{value:g}" if "." in f"{value:g}" else f"{value:.1f}"
    text = str(value).strip()
    if text.endswith("%"):
        number = float(text[:-1])
        if not 0.0 < number <= 100.0:
            raise ValueError
        return text
    if "." in text:
        return parse_limit(float(text))
    return parse_limit(int(text))


def _limit(value: Any) -> str:
    return parse_limit(value)


def _limits(value: Any) -> str:
    """``{"alice": 0.5, "bob": 4}`` or ``"alice:0.5,bob:4"`` -> ``"alice:0.5,bob:4"``."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, str):
        items = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            user, sep, limit = part.rpartition(":")
            if not sep:
                raise ValueError
            items.append((user.strip(), limit))
    else:
        raise ValueError
    out = []
    for user, limit in items:
        if not isinstance(user, str) or not user or "," in user or ":" in user:
            raise ValueError
        out.append(f"{user}:{parse_limit(limit)}")
    return ",".join(out)


OPTIONS: tuple[Option, ...] = (
    Option("policy", "spark.uwfq.policy", "uwfq", "one of " + ", ".join(POLICIES),
           _choice(POLICIES),
           "Scheduling policy: uwfq (user-weighted fair queuing), ujf (fair share per user), "
           "cfq (fair queuing over stages, no users), fifo (by logical job), fair (Spark's "
           "stage-level FAIR), off (Spark schedules as if the plugin were absent)."),
    Option("default_user", "spark.uwfq.defaultUser", "default", "a non-empty user name",
           _non_empty,
           "User charged for jobs that name none (no uwfq.user property, no Spark Connect user)."),
    Option("weights", "spark.uwfq.weights", "", "'alice:2,bob:1' or a dict of positive numbers",
           _weights,
           "Per-user weights; a user's share is cores * w / (sum of active weights). "
           "Unlisted users weigh 1."),
    Option("weights_file", "spark.uwfq.weightsFile", "", "a file path", _path,
           "Properties file of user=weight lines, read in the background once a second; "
           "overrides weights. Weights are clamped to [0.001, 1000]; a missing, empty or "
           "half-written file keeps the last good weights (write it whole, then rename)."),
    Option("default_cost_ms", "spark.uwfq.defaultCostMs", 1000, "a positive integer",
           _positive_int,
           "Estimate (core-ms) for a job with no hint, before any job has completed."),
    Option("grace_ms", "spark.uwfq.graceMs", 3000, "a non-negative integer", _non_negative_int,
           "uwfq: the most service (ms of the whole cluster) an active user banks by using "
           "less than its share; also how long an idle user's state is kept once virtual time "
           "has passed its virtual finish."),
    Option("job_linger_ms", "spark.uwfq.jobLingerMs", 10_000, "a non-negative integer",
           _non_negative_int,
           "How long (ms) an ended logical job is remembered, so that a later action of the "
           "same block continues it; then its cost goes to the history of its key."),
    Option("events_capacity", "spark.uwfq.events.capacity", 200_000,
           "a non-negative integer", _non_negative_int,
           "Scheduling events (job/stage/task starts and ends) kept in the driver for "
           "spark_uwfq.events.EventLog; the oldest are dropped past this; 0 turns recording off."),
    Option("observe_interval_ms", "spark.uwfq.observe.intervalMs", 1000,
           "a non-negative integer", _non_negative_int,
           "How often (ms) one background thread reads the status document to post the "
           "scheduler's state changes (event log, History Server tab) and update its metrics; "
           "0 turns both off. Keep it below job_linger_ms, or short jobs' real costs are missed."),
    Option("metrics_max_users", "spark.uwfq.metrics.maxUsers", 20, "a non-negative integer",
           _non_negative_int,
           "Users with their own metric series (the most active: running tasks, then active "
           "jobs); the rest are summed into otherUsers.*."),
    Option("metrics_small_job_ms", "spark.uwfq.metrics.smallJobMs", 10_000, "a positive integer",
           _positive_int,
           "Jobs whose real cost (core-ms) is at most this count in the smallJobResponseMs "
           "histogram."),
    Option("partitioner", "spark.uwfq.partitioner.enabled", False, "true or false", _bool,
           "Runtime partitioning: give each job with an estimate (uwfq.targetTasks, "
           "uwfq.costHintMs, or the estimator) tasks of about partitioner_target_task_ms, by "
           "split size for file scans and partition count for shuffles. Also settable per "
           "session with spark.conf.set."),
    Option("partitioner_target_task_ms", "spark.uwfq.partitioner.targetTaskMs", 500,
           "a positive integer", _positive_int,
           "Run time (ms) the partitioner aims at for each task."),
    Option("preemption", "spark.uwfq.preemption.enabled", False, "true or false", _bool,
           "Bounded-wait preemption for long tasks that cannot be cut: a job runnable for "
           "preemption_wait_ms while its user runs under preemption_share_fraction x its fair "
           "share gets cores by killing the youngest tasks of users above their share whose "
           "jobs the policy ranks later (Spark re-runs a killed task; the lost core-ms are "
           "counted in the status)."),
    Option("preemption_wait_ms", "spark.uwfq.preemption.waitMs", 30_000,
           "a non-negative integer", _non_negative_int,
           "How long (ms) a starved job waits before tasks are killed for it."),
    Option("preemption_share_fraction", "spark.uwfq.preemption.shareFraction", 0.5,
           "a number in [0, 1]", _fraction,
           "A user is starved while it runs fewer tasks than this fraction of its fair share."),
    Option("preemption_check_interval_ms", "spark.uwfq.preemption.checkIntervalMs", 5_000,
           "an integer of at least 10", lambda v: _at_least(v, 10),
           "How often (ms) the preemption thread checks (off Spark's scheduling path)."),
    Option("max_share", "spark.uwfq.maxShare", "",
           "a fraction of the cores (0.5 or '50%') or a whole number of cores (4)", _limit,
           "Every user's cap on running tasks (a hard cap; unset: none)."),
    Option("max_shares", "spark.uwfq.maxShares", "",
           "'alice:0.5,bob:4' or a dict of fractions or core counts", _limits,
           "Per-user caps on running tasks; override max_share for those users."),
    Option("min_share", "spark.uwfq.minShare", "",
           "a fraction of the cores (0.5 or '50%') or a whole number of cores (4)", _limit,
           "Cores every user with runnable work gets first, before users at or above theirs."),
    Option("min_shares", "spark.uwfq.minShares", "",
           "'alice:0.25,bob:2' or a dict of fractions or core counts", _limits,
           "Per-user minimum shares; override min_share for those users."),
    Option("partitioner_max_tasks", "spark.uwfq.partitioner.maxTasks", 1000,
           "a positive integer", _positive_int,
           "Most tasks the partitioner gives one stage (at least the cores, at most this)."),
    Option("testing", "spark.uwfq.testing.enabled", False, "true or false", _bool,
           "Test hooks of the facade (injectPolicyFailure); never in production."),
    Option("trusted_user_property", "spark.uwfq.identity.trustedUserProperty", "",
           "a job property name that does not start with 'spark'", _non_spark,
           "A job property a trusted gateway sets for the user (Kyuubi: kyuubi.session.user)."),
    Option("connect_auth", "spark.uwfq.connect.auth", "tokens", "tokens or proxy",
           _choice(("tokens", "proxy")),
           "Spark Connect authentication (AuthInterceptor): per-user tokens or a trusted proxy."),
    Option("connect_tokens_file", "spark.uwfq.connect.tokensFile", "", "a file path", _path,
           "Properties file of principal = token lines, re-read when it changes."),
    Option("connect_proxy_header", "spark.uwfq.connect.proxyHeader", "x-forwarded-user",
           "a header name", _non_empty, "Header in which the authenticating proxy names the user."),
    Option("connect_trusted_proxies", "spark.uwfq.connect.trustedProxies", "",
           "comma-separated addresses", str, "Addresses of the authenticating proxy."),
    Option("connect_max_users_per_principal", "spark.uwfq.connect.maxUsersPerPrincipal", 4,
           "a positive integer", _positive_int,
           "Sub-user ids (principal+name) one authenticated principal may use."),
    Option("connect_proxy_users", "spark.uwfq.connect.proxyUsers", "",
           "comma-separated user names", str,
           "Principals allowed to charge a query to another user (uwfq.user under Connect)."),
)

BY_NAME = {o.name: o for o in OPTIONS}
BY_KEY = {o.key: o for o in OPTIONS}


def to_conf(name: str, value: Any) -> tuple[str, str]:
    """Validate one configure() keyword; return its (conf key, conf value)."""
    option = BY_NAME.get(name)
    if option is None:
        close = difflib.get_close_matches(name, list(BY_NAME), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TypeError(
            f"configure() got an unknown option {name!r}.{hint} "
            f"Valid options: {', '.join(sorted(BY_NAME))}."
        )
    try:
        return option.key, option.parse(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"configure(): {name}={value!r} is not valid; expected {option.expected}."
        ) from None
