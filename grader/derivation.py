"""The derivation of a net structure under a rule set: everything they fix, built once.

A class of students shares one net :class:`~grader.model.Structure` (names, connections, bias
kind, sample count, epochs); only the numbers differ. Everything that follows from the
structure and the rules (:mod:`grader.rules`) alone lives in one :class:`Derivation`:

- the plan (:func:`grader.solver.build_plan`): each quantity's id, kind, step, subject, op and
  argument ids, in the order of the derivation; the ids and the dependency index (id -> op, args);
- the ids of the givens, and :meth:`Derivation.solve`: the plan run on an instance's numbers
  (:func:`grader.solver.solve` calls it);
- :meth:`Derivation.value`: the one recomputation of a quantity from known values (givens,
  someone's answers, and the rule applied to those, recursively), which error-carried-forward,
  the misconception diagnosis and the generator's checks all ask;
- the misconception variants (:attr:`Derivation.mutants`): each misconception's derivation and
  the ids whose step it changes directly;
- :meth:`Derivation.memo`: what a view or a check derives from these and a few more settings
  (the asked ids, the worked solution's sections, the handout's rows, the drawing's frame, the
  changed ids of a misconception, the tolerances' hook), kept with the derivation.

:func:`derive` returns it; one bounded cache (:data:`CACHE_SIZE` derivations, least recently
used first out, each keeping at most :data:`MEMO_SIZE` memo entries) holds them all, so a
long-lived process (a Jupyter kernel) never grows without limit. No other module keeps a table
keyed by a structure.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any

from .errors import BackpropError
from .model import BIAS, BIAS_KINDS, Connection, Instance, Sample, Structure
from .ops import OPS
from .rules import CORRECT, MISCONCEPTIONS, Misconception, Rules
from .trace import Planned, Quantity, Trace, build_plan, split_id, step_id

#: how many derivations (structure, rules) a process keeps: a class has one structure, and its
#: derivation brings the ten misconceptions' along
CACHE_SIZE = 256
#: how many memo entries (:meth:`Derivation.memo`) one derivation keeps; past it, the oldest goes
MEMO_SIZE = 64

#: each op's arithmetic by name
_COMPUTE = {name: op.compute for name, op in OPS.items()}


class Derivation:
    """The plan of one structure under one rule set, and what follows from it (see the module
    docstring). Immutable but for the memo; get one with :func:`derive`."""

    def __init__(self, structure: Structure, rules: Rules) -> None:
        self.structure = structure
        self.rules = rules
        #: the instance of the structure with no numbers (zero weights and values), which the
        #: plan is built from: nothing of an instance but its structure reaches a derivation
        self.stand_in = _stand_in(structure)
        #: (id, kind, step, subject, op, args) of every quantity, in the order of the derivation
        self.plan: tuple[Planned, ...] = build_plan(self.stand_in, rules)
        self.ids: tuple[str, ...] = tuple(p[0] for p in self.plan)
        #: id -> position in the plan (and in a trace's quantities)
        self.position: dict[str, int] = {qid: i for i, qid in enumerate(self.ids)}
        #: the dependency index: id -> (op, argument ids)
        self.index: dict[str, tuple[str, tuple[str, ...]]] = {p[0]: (p[4], p[5]) for p in self.plan}
        #: per quantity: (id, base, kind, step, subject, op, args), what picks its arguments'
        #: values by id (a tuple, in the order of args) and the op's arithmetic
        self._steps = tuple(
            ((qid, split_id(qid)[0], kind, step, subject, op, args), _picker(args), _COMPUTE[op])
            for qid, kind, step, subject, op, args in self.plan
        )
        self._weight_ids = tuple(f"w_{source}_{target}" for source, target in structure.edges)
        inputs, final = structure.inputs, structure.layers[-1]
        self._step_ids = tuple(
            ((k - 1) % structure.samples, tuple(step_id(n, k) for n in inputs),
             tuple(step_id(f"d_{n}", k) for n in final))
            for k in range(1, structure.samples * structure.epochs + 1)
        )
        bias = BIAS_KINDS[structure.bias]
        self._bias = None if bias is None else bias * (-1 if rules.bias_input == "flipped" else 1)
        self._memo: dict[Hashable, Any] = {}

    @cached_property
    def formulas(self) -> dict[str, str]:
        """Each quantity's formula in the seed's notation, by id (``o_C * (1 - o_C) * ...``)."""
        return {qid: OPS[op].text(args) for qid, (op, args) in self.index.items()}

    def __reduce__(self) -> tuple:
        """Pickled as its structure and rules: unpickled, it is the receiving process's own."""
        return _derive, (self.structure, self.rules)

    # ------------------------------------------------------------------ running it on numbers

    def givens(self, instance: Instance) -> dict[str, float]:
        """The given values of ``instance`` by id, as the notebooks define them."""
        out: dict[str, float] = {"alpha": instance.alpha}
        if self._bias is not None:
            out[BIAS] = self._bias
        out.update(zip(self._weight_ids, [c.weight for c in instance.connections], strict=True))
        samples = instance.samples
        for i, input_ids, desired_ids in self._step_ids:
            sample = samples[i]
            out.update(zip(input_ids, [v for _, v in sample.inputs], strict=True))
            out.update(zip(desired_ids, [v for _, v in sample.desired], strict=True))
        return out

    def solve(self, instance: Instance) -> Trace:
        """Every quantity of ``instance`` (of this structure), one after the other."""
        given = self.givens(instance)
        values = dict(given)
        quantities = []
        try:
            for (qid, base, kind, step, subject, op, args), pick, compute in self._steps:
                arg_values = pick(values)
                value = values[qid] = compute(arg_values)
                quantities.append(_quantity(qid, base, kind, step, subject, value, op, args, arg_values))
        except (ValueError, OverflowError):  # inf - inf in a weighted sum: the numbers outgrew floats
            raise BackpropError(
                "the net's numbers grow too large to compute (a weighted sum overflows); "
                "use weights, inputs and a rate alpha of ordinary size, such as 0.5"
            ) from None
        return Trace(instance, self.rules, tuple(given.items()), tuple(quantities), self)

    # ------------------------------------------------------------------ recomputing a step

    def value(self, qid: str, givens: Mapping[str, float], known: Mapping[str, float],
              cache: dict[str, float]) -> float:
        """The value of ``qid`` as a recomputation uses it: a given, a known value (someone's
        answer), or else this derivation's rule for it applied to those, recursively (what it
        computes is kept in ``cache``)."""
        if qid in givens:
            return givens[qid]
        if qid in known:
            return known[qid]
        found = cache.get(qid)
        if found is None:
            op, args, values = self.step(qid, givens, known, cache)
            found = cache[qid] = _COMPUTE[op](values)
        return found

    def step(self, qid: str, givens: Mapping[str, float], known: Mapping[str, float],
             cache: dict[str, float]) -> tuple[str, tuple[str, ...], list[float]]:
        """The step of ``qid`` recomputed from known values: its op, its argument ids and their
        values (:meth:`value`; ``qid``'s own known value is not used)."""
        op, args = self.index[qid]
        # (the first two cases of value() written out: most arguments are given or known)
        value = self.value
        return op, args, [givens[a] if a in givens else known[a] if a in known
                          else value(a, givens, known, cache) for a in args]

    # ------------------------------------------------------------------ misconceptions

    @cached_property
    def mutants(self) -> tuple[Mutant, ...]:
        """Every misconception's variant of this derivation, in the order of
        :data:`~grader.rules.MISCONCEPTIONS`."""
        return tuple(Mutant.of(order, m, self) for order, m in enumerate(MISCONCEPTIONS.values()))

    def mutant(self, m: Misconception) -> Mutant:
        return next(x for x in self.mutants if x.m.id == m.id)

    def changed_ids(self, m: Misconception, asked: tuple[str, ...]) -> tuple[str, ...]:
        """The asked ids whose rule ``m`` changes, directly or through quantities the student
        is not asked for, in the order of ``asked``."""
        def make() -> tuple[str, ...]:
            mutant = self.mutant(m)
            asked_set = set(asked)
            changed: set[str] = set()
            for qid, _kind, _step, _subject, _op, args in mutant.derivation.plan:
                if qid in mutant.direct or any(a in changed and a not in asked_set for a in args):
                    changed.add(qid)
            return tuple(q for q in asked if q in changed)

        return self.memo(("changed", m.id, asked), make)

    # ------------------------------------------------------------------ what the views derive

    def asked_of_kinds(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """The ids of the quantities of ``kinds``, in the order of the derivation."""
        return self.memo(("kinds", kinds), lambda: tuple(p[0] for p in self.plan if p[1] in kinds))

    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``, made once per ``key`` and kept with this derivation (at most
        :data:`MEMO_SIZE` entries, the oldest out first): for what follows from the structure,
        the rules and ``key`` alone. Shared: do not modify what it returns."""
        memo = self._memo
        found = memo.get(key, _MISSING)
        if found is _MISSING:
            found = make()
            if len(memo) >= MEMO_SIZE:
                del memo[next(iter(memo))]
            memo[key] = found
        return found


_MISSING = object()


@dataclass(frozen=True)
class Mutant:
    """One misconception's variant of a derivation: its order in
    :data:`~grader.rules.MISCONCEPTIONS`, its own derivation, and the ids whose step it changes
    directly (another op or other arguments than the right plan's, or the flipped constant input
    among the arguments)."""

    order: int
    m: Misconception
    derivation: Derivation
    direct: frozenset[str]

    @property
    def flips_bias(self) -> bool:
        return self.m.rules.bias_input != CORRECT.bias_input

    @property
    def index(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        return self.derivation.index

    @classmethod
    def of(cls, order: int, m: Misconception, right: Derivation) -> Mutant:
        derivation = _derive(right.structure, m.rules)
        flips = m.rules.bias_input != CORRECT.bias_input
        correct = right.index
        direct = frozenset(qid for qid, (op, args) in derivation.index.items()
                           if correct.get(qid) != (op, args) or (flips and BIAS in args))
        return cls(order, m, derivation, direct)


def _quantity(id: str, base: str, kind: str, step: int, subject: str, value: float, op: str,
              args: tuple[str, ...], arg_values: tuple[float, ...]) -> Quantity:
    """``Quantity(...)``, the same object (equal, frozen), made by filling its ``__dict__`` at
    once instead of the frozen dataclass's nine ``object.__setattr__`` calls.

    Why the trick stays: those calls are two thirds of a solve (28 quantities of
    2-2-1-threshold: about 40 us of 60), and every submission is solved, every draw of the
    generator too: about 1.5% of static batch grading and 2% of generating handouts (the
    tests compare it with ``Quantity(...)``, the plain version)."""
    q = object.__new__(Quantity)
    object.__setattr__(q, "__dict__", {"id": id, "base": base, "kind": kind, "step": step, "subject": subject,
                                       "value": value, "op": op, "args": args, "arg_values": arg_values})
    return q


def _picker(args: tuple[str, ...]) -> Callable[[Mapping[str, float]], tuple[float, ...]]:
    """``lambda values: tuple([values[a] for a in args])``, in C where it can be."""
    if len(args) >= 2:
        return itemgetter(*args)
    if len(args) == 1:
        (only,) = args
        return lambda values: (values[only],)
    return lambda values: ()


def derive(instance: Instance, rules: Rules = CORRECT) -> Derivation:
    """The :class:`Derivation` of ``instance``'s structure under ``rules`` (cached)."""
    return _derive(instance.structure, rules)


@lru_cache(maxsize=CACHE_SIZE)
def _derive(structure: Structure, rules: Rules) -> Derivation:
    return Derivation(structure, rules)


def clear_cache() -> None:
    """Forget every derivation."""
    _derive.cache_clear()


def _stand_in(structure: Structure) -> Instance:
    """The instance of ``structure`` with every number 0 (alpha 1)."""
    sample = Sample(inputs=tuple((n, 0.0) for n in structure.inputs),
                    desired=tuple((n, 0.0) for n in structure.layers[-1]))
    return Instance(inputs=structure.inputs, layers=structure.layers,
                    connections=tuple(Connection(s, t, 0.0) for s, t in structure.edges),
                    samples=(sample,) * structure.samples, alpha=1.0, bias=structure.bias,
                    update_bias=structure.update_bias, epochs=structure.epochs)
