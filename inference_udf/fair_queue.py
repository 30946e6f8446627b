"""UserFairQueue: which user's request takes the next free decode slot of a shared engine.

The UWFQ idea one level down, at token granularity. Each user has a virtual time that grows by
``1 / weight`` for every token the engine decodes for them; a free slot goes to the waiting
request of the user with the smallest virtual finish time: the virtual time plus the tokens its
admitted requests may still decode (their ``max_new_tokens`` left), over its weight, so a user
is not handed every free slot in a row before the tokens of the first ones are charged (ties: the
earlier arrival). A user who comes
back after being idle starts at the smallest virtual time among the busy users, so idle time is
not saved up as credit. With two users both backlogged, their decode tokens split by weight; a
small job arriving behind a large one gets the next free slots instead of waiting for the whole
large job.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque


class UserFairQueue:
    def __init__(self, weights: dict[str, float] | None = None, fifo: bool = False):
        self.weights = dict(weights or {})
        self.fifo = fifo                          # the baseline: arrival order, users ignored
        self.virtual_time: dict[str, float] = defaultdict(float)
        self.tokens: dict[str, int] = defaultdict(int)        # decoded tokens per user, ever
        self._queues: dict[str, deque] = defaultdict(deque)   # user -> (arrival, item)
        self._in_engine: dict[str, int] = defaultdict(int)    # user -> requests in the engine
        self._committed: dict[str, int] = defaultdict(int)    # user -> tokens they may still take
        self._arrivals = itertools.count()

    def weight(self, user: str) -> float:
        return self.weights.get(user, 1.0)

    def push(self, user: str, item, cost: int = 1) -> None:
        """Queue ``item`` of ``user``; ``cost``: the most tokens it can decode."""
        if not self._busy(user):
            busy = [self.virtual_time[u] for u in self._users() if self._busy(u)]
            if busy:
                self.virtual_time[user] = max(self.virtual_time[user], min(busy))
        self._queues[user].append((next(self._arrivals), item, cost))

    def pop(self):
        """The next item to admit (and its user), or None when nothing waits."""
        candidates = [u for u, q in self._queues.items() if q]
        if not candidates:
            return None
        if self.fifo:
            user = min(candidates, key=lambda u: self._queues[u][0][0])
        else:
            user = min(candidates, key=lambda u: (self.virtual_finish(u), self._queues[u][0][0]))
        _, item, cost = self._queues[user].popleft()
        self._in_engine[user] += 1
        self._committed[user] += cost
        return user, item

    def virtual_finish(self, user: str) -> float:
        return self.virtual_time[user] + self._committed[user] / self.weight(user)

    def charge(self, user: str, tokens: int) -> None:
        """``tokens`` were decoded for ``user``."""
        self.tokens[user] += tokens
        self.virtual_time[user] += tokens / self.weight(user)
        self._committed[user] -= tokens

    def left_engine(self, user: str, unused: int = 0) -> None:
        """A request of ``user`` left the engine with ``unused`` of its cost not decoded."""
        self._in_engine[user] -= 1
        self._committed[user] -= unused

    def remove(self, keep) -> list:
        """Drop waiting items for which ``keep(item)`` is false; returns them."""
        dropped = []
        for user, queue in self._queues.items():
            kept = deque(entry for entry in queue if keep(entry[1]))
            dropped += [entry[1] for entry in queue if not keep(entry[1])]
            self._queues[user] = kept
        return dropped

    def backlogged_users(self) -> list[str]:
        return [u for u, q in self._queues.items() if q]

    def __len__(self) -> int:
        return sum(map(len, self._queues.values()))

    def _busy(self, user: str) -> bool:
        return bool(self._queues.get(user)) or self._in_engine.get(user, 0) > 0

    def _users(self):
        return set(self._queues) | set(self._in_engine)
