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

Alpha is dealt out evenly over a class (:func:`class_alphas`) and kept through a student's
redraws: rejections (more of them for a small alpha, whose weight changes are more often too
small to show) cannot skew the class towards one alpha, and the numbers of students with each
alpha of the family's list differ by at most one.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from . import checks
from .errors import BackpropError
from .family import Family
from .model import Connection, Instance, Sample
from .solver import Trace, solve
from .validation import instance_from_dict

R = TypeVar("R")


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

    def __getstate__(self) -> dict:
        # Pickled without the cached trace: sending a variant to another process (the
        # parallel generate) costs a fraction, and the receiver solves again when it needs
        # the trace, several times faster than unpickling it.
        state = dict(self.__dict__)
        state.pop("exact", None)
        return state


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


def draw_instance(family: Family, rng: Drbg, alpha: float | None = None) -> Instance:
    """One unchecked draw of the family's values (with ``alpha`` when given, else drawn last)."""
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
    if alpha is None:
        alpha = rng.choice(g.alpha)
    known = _BUILDERS.get(id(family))
    if known is not None and known[0] is family and known[1] is not None:
        return known[1](weights, samples, alpha)
    data = {
        "alpha": alpha,
        "bias": family.bias,
        "update_bias": family.update_bias,
        "epochs": family.epochs,
        "decimals": family.decimals,
        "inputs": list(family.inputs),
        "layers": [list(layer) for layer in family.layers],
        "weights": weights,
        "samples": samples,
    }
    instance = instance_from_dict(data, f"family {family.id}")
    if known is None or known[0] is not family:
        if len(_BUILDERS) >= _BUILDERS_SIZE:
            _BUILDERS.clear()
        _BUILDERS[id(family)] = (family, _builder(family, instance))
    return instance


def _builder(family: Family, first: Instance) -> Callable[[dict, list, float], Instance] | None:
    """A function that makes the instance of a draw of ``family`` as ``instance_from_dict``
    would, without validating again, or None when a draw may fail validation.

    ``first`` is a draw that passed validation. Validation depends on the draw's values only
    through their being finite floats and alpha being positive; everything else it checks
    (names, connections, the samples' keys, the number of steps) is the family's structure,
    the same in every draw. So when every grid value is a finite float and every alpha on the
    grid is positive, every draw passes as ``first`` did, and its instance is ``first`` with
    the drawn values: connections in the canonical order (``first``'s), samples' values in the
    order of the inputs and of the final layer."""
    g = family.grids
    values = g.weights + g.inputs + g.desired + g.alpha
    if not all(v.__class__ is float and math.isfinite(v) for v in values) or min(g.alpha) <= 0:
        return None
    order = [(c.key, c.source, c.target) for c in first.connections]
    inputs = first.inputs
    final = first.layers[-1]
    fixed = first.samples if family.fixed_samples else None

    def build(weights: dict[str, float], samples: list[dict], alpha: float) -> Instance:
        connections = tuple([Connection(src, dst, weights[key]) for key, src, dst in order])
        if fixed is not None:
            drawn = fixed
        else:
            drawn = tuple([
                Sample(inputs=tuple([(n, s["inputs"][n]) for n in inputs]),
                       desired=tuple([(n, s["desired"][n]) for n in final]))
                for s in samples
            ])
        return replace(first, connections=connections, samples=drawn, alpha=alpha)

    return build


#: by id() of a family: (the family, how its draws are made into instances or None: validate
#: every draw); the family is kept, so its id is not reused while it is here
_BUILDERS: dict[int, tuple[Family, Callable[[dict, list, float], Instance] | None]] = {}
#: how many families' builders a process keeps before it starts afresh
_BUILDERS_SIZE = 64


def asked_ids(trace: Trace, family: Family) -> tuple[str, ...]:
    """The ids of the quantities of the kinds the family asks for, in the order of the
    derivation (:meth:`grader.derivation.Derivation.asked_of_kinds`)."""
    return trace.derivation.asked_of_kinds(tuple(family.ask))


@dataclass(frozen=True)
class Rejection:
    """Why a draw is redrawn: the ``kind`` of check it failed (one of :data:`REJECTIONS`,
    counted in the error when no draw passes) and that check's message."""

    kind: str
    message: str


#: the kinds of :class:`Rejection`, in the order the checks run
REJECTIONS = ("saturated", "too small", "free answers", "undetectable", "duplicate")


def rejection(family: Family, instance: Instance) -> tuple[Rejection | None, Trace, tuple[str, ...]]:
    """Why ``instance`` is rejected (None when it passes), with its trace and asked ids."""
    trace = solve(instance)
    asked = asked_ids(trace, family)
    c = family.constraints
    found = [
        ("saturated", lambda: checks.saturation(trace, c.min_output, c.max_output)),
        ("too small", lambda: checks.too_small(trace, asked, instance.rounding)),
        ("free answers", lambda: None if c.allow_free_answers else checks.free_answers(trace, asked)),
        ("undetectable", lambda: checks.undetectable(trace, asked)),
    ]
    for kind, check in found:
        message = check()
        if message is not None:
            return Rejection(kind, message), trace, asked
    return None, trace, asked


def class_alphas(family: Family, secret: bytes, assignment: str, students: Sequence[Student],
                 counts: Mapping[float, int] | None = None) -> dict[str, float]:
    """Each student's alpha, dealt out evenly: in the order of their seeds (set by the secret,
    not by the roster's order), each student gets one of the family's alphas that the fewest
    students have so far (``counts``: students who have one already, e.g. in the key that late
    students join), the student's own draw choosing among those tied. So the counts of the
    alphas differ by at most one (beyond the differences in ``counts``), whatever the rejections,
    and a student's alpha depends on the roster only through which others are on it."""
    grid = family.grids.alpha
    have = [(counts or {}).get(a, 0) for a in grid]
    seeds = {s.id: student_seed(secret, family.id, assignment, s.id) for s in students}
    dealt: dict[str, float] = {}
    for sid in sorted(seeds, key=seeds.__getitem__):
        fewest = min(have)
        tied = [i for i, n in enumerate(have) if n == fewest]
        i = tied[Drbg(seeds[sid]).below(len(tied))]
        have[i] += 1
        dealt[sid] = grid[i]
    return dealt


def draw_variant(
    family: Family, secret: bytes, assignment: str, student: Student | str,
    taken: set[str] | None = None, alpha: float | None = None,
) -> Variant:
    """The variant of ``student``: the first draw of their seed that passes every check
    (and, with ``taken``, differs from the canonical instances already in it), with ``alpha``
    (the class's, :func:`class_alphas`) or else alpha as the seed draws it."""
    s = student if isinstance(student, Student) else Student(student)
    rng = Drbg(student_seed(secret, family.id, assignment, s.id))
    own = rng.choice(family.grids.alpha)  # (drawn either way: the rest of the stream is the same)
    alpha = own if alpha is None else alpha  # the student's through every redraw (module docstring)
    reasons: Counter[str] = Counter()  # by kind
    for attempt in range(family.constraints.max_draws):
        instance = draw_instance(family, rng, alpha)
        reason, trace, asked = rejection(family, instance)
        if reason is None and taken is not None and canonical(instance) in taken:
            reason = Rejection("duplicate", "duplicate: the same variant as an earlier student")
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
        reasons[reason.kind] += 1
    summary = ", ".join(f"{n} {why}" for why, n in reasons.most_common())
    fix = f"widen the value grids in {family.source} or relax [constraints]"
    if reasons.most_common(1)[0][0] == "free answers":
        fix = (f"use nonzero inputs and weights in {family.source}, or accept answers a zero gives away "
               "with allow_free_answers = true under [constraints]")
    raise BackpropError(
        f"family {family.id}: no variant for {s.id} passed the checks in {family.constraints.max_draws} "
        f"draws ({summary}); {fix}"
    )


def generate_variants(
    family: Family, roster: Iterable[Student | str], secret: bytes, assignment: str, jobs: int | None = 1,
) -> tuple[Variant, ...]:
    """A distinct variant for every student on the roster, in roster order.

    The result is that of drawing for each student in roster order, with the alpha the class
    deals them (:func:`class_alphas`), and skipping any variant an earlier student already
    has. With ``jobs`` > 1 every student's first passing variant
    is drawn in parallel, and only students whose variant repeats an earlier one are drawn
    again (in order, skipping the taken ones): the same variants as one process gives.
    """
    return tuple(v for v, _ in iter_variants(family, roster, secret, assignment, jobs))


def iter_variants(
    family: Family, roster: Iterable[Student | str], secret: bytes, assignment: str, jobs: int | None = 1,
    then: Callable[[Variant], R] | None = None, taken: Iterable[str] = (),
    alpha_counts: Mapping[float, int] | None = None, preload: Sequence[str] = (),
    imap: Callable[..., Iterator[tuple[Variant, R | None]]] | None = None,
) -> Iterator[tuple[Variant, R | None]]:
    """The variants of :func:`generate_variants`, one at a time in roster order as they are
    drawn, each with ``then(variant)`` (None without ``then``).

    ``then`` runs where the variant is drawn, in the worker process that drew it (with its
    trace at hand), or here for a student drawn again because their first variant was an
    earlier student's; so it must be picklable (a module-level function or a partial of
    one) when ``jobs`` > 1, and it is not run for variants that are drawn again.

    ``taken``: canonical instances (:func:`canonical`) that students drawn earlier already
    have (the key's, when late students are added): no student here gets one of them.
    ``alpha_counts``: how many of those students have each alpha (:func:`class_alphas`).
    ``preload``: the modules ``then`` needs, imported once by the workers' fork server
    (:func:`grader.parallel.imap`; ``jobs`` None: all cores). ``imap``: another map with its
    contract (a Dask cluster's, :meth:`grader.cluster.Cluster.imap`).
    """
    students = [s if isinstance(s, Student) else Student(s) for s in roster]
    alphas = class_alphas(family, secret, assignment, students, alpha_counts)
    first = functools.partial(_first_variant, family, secret, assignment, then)
    taken = set(taken)
    work = [(s, alphas[s.id]) for s in students]
    if imap is None:
        from .parallel import imap  # (multiprocessing: imported only when variants are drawn)
    drawn = imap(first, work, jobs=jobs, preload=("grader.generator", *preload))
    for s, (v, extra) in zip(students, drawn, strict=True):
        text = canonical(v.instance)
        if text in taken:
            v = draw_variant(family, secret, assignment, s, taken, alphas[s.id])
            extra = then(v) if then is not None else None
        else:
            taken.add(text)
        yield v, extra


def _first_variant(family: Family, secret: bytes, assignment: str, then: Callable[[Variant], R] | None,
                   work: tuple[Student, float]) -> tuple[Variant, R | None]:
    v = draw_variant(family, secret, assignment, work[0], alpha=work[1])
    return v, (then(v) if then is not None else None)


__all__ = [
    "Drbg", "Student", "Variant", "canonical", "sign", "student_seed", "draw_instance",
    "draw_variant", "generate_variants", "iter_variants", "rejection", "Rejection", "REJECTIONS", "asked_ids",
    "class_alphas",
]
