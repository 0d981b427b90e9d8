"""Drawing personal variants of a family, reproducibly.

Every student's variant comes from a seed: HMAC-SHA256 under the instructor's secret of the
family, the assignment id and the student id. The seed drives :class:`Drbg`, SHA-256 in
counter mode with rejection sampling for choices: it depends on nothing but hashlib, so the
same secret and roster give the same variants, byte for byte, on any machine and any Python
or numpy version (NEP 19 warns that numpy's distributions may change; we use none).

A draw that fails a check of :mod:`grader.checks` is redrawn from the next counter value;
a variant equal to an earlier student's is redrawn too, so students on one roster get
distinct variants. A family whose checks no draw passes fails after ``max_draws`` draws with
the counts of each reason, never hangs.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import checks
from .errors import BackpropError
from .families import Family
from .model import Instance, instance_from_dict
from .solver import Trace, solve
from .tolerance import tolerances


class Drbg:
    """Deterministic random choices from a seed (SHA-256 in counter mode)."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0
        self._buffer = b""

    def _bytes(self, n: int) -> bytes:
        while len(self._buffer) < n:
            block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def below(self, n: int) -> int:
        """A uniform integer in [0, n), by rejection sampling (no modulo bias)."""
        if n <= 0:
            raise ValueError("n must be positive")
        limit = (1 << 64) - ((1 << 64) % n)
        while True:
            x = int.from_bytes(self._bytes(8), "big")
            if x < limit:
                return x % n

    def choice(self, options: Sequence[float]) -> float:
        return options[self.below(len(options))]


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class Variant:
    """One student's problem: the instance, what to answer, and the signature that binds them."""

    student: str
    assignment: str
    family: str
    instance: Instance
    #: the quantity ids the student must answer, in the order of the derivation
    asked: tuple[str, ...]
    signature: str
    name: str = ""
    email: str = ""
    #: how many draws were rejected before this one
    redraws: int = 0

    @functools.cached_property
    def exact(self) -> Trace:
        """The exact trace (computed once per variant)."""
        return solve(self.instance)

    def trace(self) -> Trace:
        return self.exact


def canonical(instance: Instance) -> str:
    """The instance as canonical JSON text: what signatures and distinctness compare."""
    return json.dumps(instance.to_dict(), sort_keys=True, separators=(",", ":"))


def sign(secret: bytes, assignment: str, student: str, instance: Instance) -> str:
    """HMAC-SHA256 under the secret of the canonical instance, assignment and student."""
    message = json.dumps(
        {"assignment": assignment, "student": student, "instance": instance.to_dict()},
        sort_keys=True, separators=(",", ":"),
    )
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).hexdigest()


def student_seed(secret: bytes, family: str, assignment: str, student: str) -> bytes:
    message = "\x00".join(("backprop-grader/v1", family, assignment, student)).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).digest()


def draw_instance(family: Family, rng: Drbg) -> Instance:
    """One unchecked draw of the family's values."""
    g = family.grids
    weights = {key: rng.choice(g.weights) for key in family.connections}
    if family.fixed_samples:
        samples = [
            {"inputs": dict(inputs), "desired": dict(desired)} for inputs, desired in family.fixed_samples
        ]
    else:
        samples = [
            {
                "inputs": {n: rng.choice(g.inputs) for n in family.inputs},
                "desired": {n: rng.choice(g.desired) for n in family.layers[-1]},
            }
            for _ in range(family.sample_count)
        ]
    data = {
        "alpha": rng.choice(g.alpha),
        "bias": family.bias,
        "update_bias": family.update_bias,
        "epochs": family.epochs,
        "decimals": family.decimals,
        "inputs": list(family.inputs),
        "layers": [list(layer) for layer in family.layers],
        "weights": weights,
        "samples": samples,
    }
    return instance_from_dict(data, f"family {family.id}")


def asked_ids(trace: Trace, family: Family) -> tuple[str, ...]:
    return tuple(q.id for q in trace.quantities if q.kind in family.ask)


def rejection(family: Family, instance: Instance) -> tuple[str | None, Trace, tuple[str, ...]]:
    """Why ``instance`` is rejected (None when it passes), with its trace and asked ids."""
    trace = solve(instance)
    asked = asked_ids(trace, family)
    c = family.constraints
    reason = checks.saturation(trace, c.min_output, c.max_output) or checks.too_small(
        trace, asked, instance.rounding
    )
    if reason is None:
        reason = checks.undetectable(trace, asked, tolerances(trace), instance.rounding)
    return reason, trace, asked


def draw_variant(
    family: Family, secret: bytes, assignment: str, student: Student | str,
    taken: set[str] | None = None,
) -> Variant:
    """The variant of ``student``: the first draw of their seed that passes every check
    (and, with ``taken``, differs from the canonical instances already in it)."""
    s = student if isinstance(student, Student) else Student(student)
    rng = Drbg(student_seed(secret, family.id, assignment, s.id))
    reasons: Counter[str] = Counter()
    for attempt in range(family.constraints.max_draws):
        instance = draw_instance(family, rng)
        reason, trace, asked = rejection(family, instance)
        if reason is None and taken is not None and canonical(instance) in taken:
            reason = "duplicate: the same variant as an earlier student"
        if reason is None:
            if taken is not None:
                taken.add(canonical(instance))
            variant = Variant(
                student=s.id, assignment=assignment, family=family.id, instance=instance, asked=asked,
                signature=sign(secret, assignment, s.id, instance), name=s.name, email=s.email,
                redraws=attempt,
            )
            variant.__dict__["exact"] = trace  # the cached_property's slot: no second solve
            return variant
        reasons[reason.split(":")[0]] += 1
    summary = ", ".join(f"{n} {why}" for why, n in reasons.most_common())
    raise BackpropError(
        f"family {family.id}: no variant for {s.id} passed the checks in {family.constraints.max_draws} draws "
        f"({summary}); widen the value grids in {family.source} or relax [constraints]"
    )


def generate_variants(
    family: Family, roster: Iterable[Student | str], secret: bytes, assignment: str, jobs: int | None = 1,
) -> tuple[Variant, ...]:
    """A distinct variant for every student on the roster, in roster order.

    The result is that of drawing for each student in roster order and skipping any variant
    an earlier student already has. With ``jobs`` > 1 every student's first passing variant
    is drawn in parallel, and only students whose variant repeats an earlier one are drawn
    again (in order, skipping the taken ones): the same variants as one process gives.
    """
    from functools import partial

    from .parallel import pmap

    students = [s if isinstance(s, Student) else Student(s) for s in roster]
    first = pmap(partial(draw_variant, family, secret, assignment), students, jobs)
    taken: set[str] = set()
    out = []
    for s, v in zip(students, first):
        if canonical(v.instance) in taken:
            v = draw_variant(family, secret, assignment, s, taken)
        else:
            taken.add(canonical(v.instance))
        out.append(v)
    return tuple(out)


__all__ = [
    "Drbg", "Student", "Variant", "canonical", "sign", "student_seed", "draw_instance",
    "draw_variant", "generate_variants", "rejection", "asked_ids",
]
