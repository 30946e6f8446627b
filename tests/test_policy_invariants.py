"""Every policy's invariants under long random event sequences.

Hypothesis chooses seeds, user counts and run lengths; the events themselves are generated and
applied in one JVM (dev.uwfq.invariants.InvariantCheck, lab jar) through the plugin's own
PolicyHost, so no py4j call is made per event. After every event the JVM checks: no policy
failure (FIFO fallback), finite keys for every task set in the order round, the order a
permutation, virtual time never decreasing, each job charged exactly the task time fed to it
(read from the policy's objects; the status document is parsed every 256th event and must agree);
and at the end, once every job ended and lingered, no state left in the book or in any map of
the policy's own. Events include task failures, stage re-attempts, zero and huge run times and
hints, capacity changes, weights files rewritten with hostile values (1e-308, NaN, garbage) and
keys with separators and unicode.
"""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uwfq_lab.jars import java_classpath

POLICIES = ["uwfq", "ujf", "cfq", "fifo", "fair"]
# 100,000 random events per policy, plus 30,000 with cancellations.
EXAMPLES = 10
EVENTS_PER_EXAMPLE = 10_000


class Checker:
    """One JVM answering one line per run: 'ok N kind=COUNT...' or 'violation STEP MESSAGE'."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["java", "-cp", java_classpath(), "dev.uwfq.invariants.InvariantCheck"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.events = 0
        self.kinds = Counter()  # events of each kind, drains included

    def run(self, policy, seed, events, users, cancel_rate):
        self.proc.stdin.write(f"{policy} {seed} {events} {users} {cancel_rate}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer.split()[:2] == ["ok", str(events)], (
            f"{policy} seed={seed} users={users} cancel_rate={cancel_rate}: {answer}")
        self.events += events
        for field in answer.split()[2:]:
            kind, n = field.split("=")
            self.kinds[kind] += int(n)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


@pytest.fixture(scope="module")
def checker():
    c = Checker()
    yield c
    c.close()


def _property(checker, policy, cancel_rate, examples, events):
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(seed=st.integers(0, 2**62), users=st.integers(1, 12))
    def prop(seed, users):
        checker.run(policy, seed, events, users, cancel_rate)

    prop()


@pytest.mark.slow
@pytest.mark.parametrize("policy", POLICIES)
def test_invariants_hold_over_random_events(checker, policy):
    before, kinds_before = checker.events, checker.kinds.copy()
    _property(checker, policy, 0, EXAMPLES, EVENTS_PER_EXAMPLE)
    assert checker.events - before >= 100_000
    kinds = checker.kinds - kinds_before
    # The pool is bounded, so work keeps ending all run long, not only in the final drain.
    assert kinds["job_end"] >= 0.02 * (checker.events - before), kinds
    assert kinds["weights"] > 0 and kinds["remove"] > 0.05 * (checker.events - before), kinds


@pytest.mark.parametrize("policy", POLICIES)
def test_invariants_hold_with_cancellations(checker, policy):
    # Cancellation ends a job while its task sets are still in the pool; they leave later.
    _property(checker, policy, 0.02, 3, 10_000)
