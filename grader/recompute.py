"""One step recomputed from someone's earlier answers, under any rules.

Error carried forward and misconception diagnosis ask the same question: what does the rule
for quantity ``q`` give when its arguments are the student's *own* earlier answers (or, where
the student was not asked for an argument, what the same rules give from the answers they did
write)? The generator asks it too, with the exact answers, to check that every misconception
stays detectable.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import Instance
from .ops import compute
from .rules import CORRECT, Rules
from .solver import _structure, givens, plan

_INDEXES: dict[tuple, dict[str, tuple[str, tuple[str, ...]]]] = {}


def plan_index(instance: Instance, rules: Rules = CORRECT) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The plan as id -> (op, args), cached per structure and rules."""
    key = (_structure(instance), rules)
    found = _INDEXES.get(key)
    if found is None:
        found = _INDEXES[key] = {p[0]: (p[4], p[5]) for p in plan(instance, rules)}
    return found


class Recomputer:
    """Recompute quantities of ``instance`` under ``rules`` from known values.

    ``known`` maps quantity ids to values (the student's answers, or exact values where the
    student gave none); arguments that are neither given nor known are recomputed under the
    same rules, recursively.
    """

    def __init__(self, instance: Instance, rules: Rules = CORRECT) -> None:
        self.rules = rules
        self.index = plan_index(instance, rules)
        self.givens = givens(instance, rules)

    def op_args(self, qid: str) -> tuple[str, tuple[str, ...]]:
        return self.index[qid]

    def value(self, qid: str, known: Mapping[str, float]) -> float:
        cache: dict[str, float] = {}
        return self._value(qid, known, cache, top=True)

    def _value(
        self, qid: str, known: Mapping[str, float], cache: dict[str, float], top: bool = False
    ) -> float:
        if not top:
            if qid in self.givens:
                return self.givens[qid]
            if qid in known:
                return known[qid]
        if qid in cache:
            return cache[qid]
        op, args = self.index[qid]
        value = compute(op, [self._value(a, known, cache) for a in args])
        cache[qid] = value
        return value

    def args_of(self, qid: str, known: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
        """The arguments of ``qid`` and their values as this recomputation uses them."""
        op, args = self.index[qid]
        cache: dict[str, float] = {}
        return tuple((a, self._value(a, known, cache)) for a in args)
