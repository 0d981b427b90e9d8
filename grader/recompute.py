"""One step recomputed from someone's earlier answers, under any rules.

Error carried forward and misconception diagnosis ask the same question: what does the rule
for quantity ``q`` give when its arguments are the student's *own* earlier answers (or, where
the student was not asked for an argument, what the same rules give from the answers they did
write)? The generator asks it too, with the exact answers, to check that every misconception
stays detectable. The recursion itself is :meth:`grader.derivation.Derivation.value`; a
:class:`Recomputer` is it for one instance and rule set.
"""

from __future__ import annotations

from collections.abc import Mapping

from .derivation import derive
from .model import Instance
from .ops import compute
from .rules import CORRECT, Rules


class Recomputer:
    """Recompute quantities of ``instance`` under ``rules`` from known values.

    ``known`` maps quantity ids to values (the student's answers, or exact values where the
    student gave none); arguments that are neither given nor known are recomputed under the
    same rules, recursively.
    """

    def __init__(self, instance: Instance, rules: Rules = CORRECT) -> None:
        self.rules = rules
        self.derivation = derive(instance, rules)
        self.index = self.derivation.index
        self.givens = self.derivation.givens(instance)

    def op_args(self, qid: str) -> tuple[str, tuple[str, ...]]:
        return self.index[qid]

    def value(self, qid: str, known: Mapping[str, float]) -> float:
        op, _, values = self.derivation.step(qid, self.givens, known, {})
        return compute(op, values)

    def args_of(self, qid: str, known: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
        """The arguments of ``qid`` and their values as this recomputation uses them."""
        _, args, values = self.derivation.step(qid, self.givens, known, {})
        return tuple(zip(args, values, strict=True))
