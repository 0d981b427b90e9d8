"""The trace of a derivation: quantity ids, :class:`Quantity`, :class:`Trace`, and the plan of
an instance (:func:`build_plan`: the quantities in the order of the 6.034 derivation).

:mod:`grader.derivation` runs the plan per net structure and :mod:`grader.solver` is the door
to it (``solve(instance)``); this module needs neither, so the three import in one direction:
trace <- derivation <- solver.
"""


from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import BIAS, Instance
from .ops import OPS, compute
from .rules import Rules

if TYPE_CHECKING:
    from .derivation import Derivation

#: The kinds of quantity, in the order of the derivation.
KINDS = ("p", "o", "P", "delta", "dw", "new_w")


def step_id(base: str, step: int) -> str:
    """``delta_C`` at step 1, ``delta_C_step2`` at step 2."""
    return base if step == 1 else f"{base}_step{step}"


def split_id(qid: str) -> tuple[str, int]:
    """``delta_C_step2`` -> (``delta_C``, 2); ``delta_C`` -> (``delta_C``, 1)."""
    base, sep, tail = qid.rpartition("_step")
    if sep and tail.isdigit() and int(tail) >= 2 and base:
        return base, int(tail)
    return qid, 1


@dataclass(frozen=True)
class Quantity:
    """One computed value of the derivation."""

    id: str
    #: the id without the step suffix, e.g. ``delta_C``
    base: str
    kind: str
    step: int
    #: the neuron (``C``) or connection key (``A_C``) it belongs to; ``P`` has none
    subject: str
    value: float
    op: str
    #: ids of the arguments (quantities or givens), in the op's order
    args: tuple[str, ...]
    #: the values of the arguments when this quantity was computed
    arg_values: tuple[float, ...]

    @property
    def formula(self) -> str:
        """The formula in the seed's notation, e.g. ``o_C * (1 - o_C) * (d_C - o_C)``."""
        return OPS[self.op].text(self.args)

    def recompute(self, values: dict[str, float]) -> float:
        """This quantity's op applied to other argument values (looked up by id)."""
        return compute(self.op, [values[a] for a in self.args])


@dataclass(frozen=True)
class Trace:
    """The whole derivation of an instance: givens and quantities in the order of the
    derivation, and the :class:`~grader.derivation.Derivation` of its structure and rules
    (ids, dependencies, misconception variants) that it was computed by."""

    instance: Instance
    rules: Rules
    givens: tuple[tuple[str, float], ...]
    quantities: tuple[Quantity, ...]
    derivation: Derivation = field(repr=False, compare=False)
    _given: dict[str, float] = field(default_factory=dict, init=False, repr=False, compare=False)
    #: results of pure functions of the trace, kept by the modules that compute them (the
    #: tolerances of :mod:`grader.tolerance`), so that they are computed once per trace
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._given.update(self.givens)

    def __getitem__(self, qid: str) -> Quantity:
        return self.quantities[self.derivation.position[qid]]

    def __contains__(self, qid: object) -> bool:
        return qid in self.derivation.position

    def __iter__(self) -> Iterator[Quantity]:
        return iter(self.quantities)

    def value(self, qid: str) -> float:
        i = self.derivation.position.get(qid)
        return self._given[qid] if i is None else self.quantities[i].value

    @property
    def ids(self) -> tuple[str, ...]:
        return self.derivation.ids

    @property
    def values(self) -> dict[str, float]:
        """Every given and computed value by id."""
        out = dict(self.givens)
        out.update({q.id: q.value for q in self.quantities})
        return out

    def step(self, k: int) -> tuple[Quantity, ...]:
        return tuple(q for q in self.quantities if q.step == k)

    @property
    def final_weights(self) -> dict[str, float]:
        """The weights after the last step, keyed ``F_N``."""
        out = {}
        for c in self.instance.connections:
            key = weight_ref(self.instance, c.source, c.target, self.instance.steps + 1)
            out[c.key] = self.value(key)
        return out

    def to_json(self) -> dict:
        """The contract's ``solve --format json`` object."""
        return {
            "steps": [
                {q.base: q.value for q in self.step(k)} for k in range(1, self.instance.steps + 1)
            ],
            "weights": self.final_weights,
        }


def weight_ref(instance: Instance, source: str, target: str, step: int) -> str:
    """The id of the weight ``source -> target`` as it is at the start of ``step``."""
    if step == 1 or not (instance.update_bias or source != BIAS):
        return f"w_{source}_{target}"
    return step_id(f"new_w_{source}_{target}", step - 1)


#: One planned quantity: (id, kind, step, subject, op, args). The plan is the dependency graph;
#: it depends on the net's structure and the rules, never on the numbers.
Planned = tuple[str, str, int, str, str, tuple[str, ...]]


def build_plan(instance: Instance, rules: Rules) -> tuple[Planned, ...]:
    """The plan of ``instance``'s structure under ``rules``: the 6.034 derivation, step by
    step (forward pass, performance, deltas from the back, updates), each rule as ``rules``
    says. Use :func:`plan` (or :func:`grader.derivation.derive`), which makes it once."""
    planned: list[Planned] = []
    done: set[str] = set()

    def add(qid: str, kind: str, step: int, subject: str, op: str, args: list[str]) -> None:
        done.add(qid)
        planned.append((qid, kind, step, subject, op, tuple(args)))

    for k in range(1, instance.steps + 1):
        # the helpers below are called only within this step; k and updates are bound as
        # keyword-only defaults so each sees this step's values
        def out_of(name: str, *, k: int = k) -> str:
            if name == BIAS:
                return BIAS
            if name in instance.inputs:
                return step_id(name, k)
            return step_id(f"o_{name}", k)

        # forward pass, layer by layer
        for n in instance.neurons:
            args: list[str] = []
            for c in instance.incoming(n):
                args += [weight_ref(instance, c.source, n, k), out_of(c.source)]
            add(step_id(f"p_{n}", k), "p", k, n, "weighted_sum", args)
            add(step_id(f"o_{n}", k), "o", k, n, "sigmoid", [step_id(f"p_{n}", k)])
        perf: list[str] = []
        for n in instance.final_layer:
            perf += [step_id(f"d_{n}", k), out_of(n)]
        add(step_id("P", k), "P", k, "", "performance", perf)

        # backward pass: final layer, then hidden layers from the back
        updates: dict[str, tuple[str, list[str], str, list[str]]] = {}

        def update_of(source: str, target: str, *, k: int = k, updates: dict = updates) -> None:
            """Define dw and new_w of source -> target (needs delta_target)."""
            key = f"{source}_{target}"
            receiver = out_of(target) if rules.dw_input == "target" else out_of(source)
            dw_args = [receiver, step_id(f"delta_{target}", k)]
            dw_op = "dw_noalpha"
            if rules.dw_alpha:
                dw_args = ["alpha"] + dw_args
                dw_op = "dw"
            dw_id = step_id(f"dw_{key}", k)
            w = weight_ref(instance, source, target, k)
            new_op, new_args = {
                "w+dw": ("add", [w, dw_id]),
                "w-dw": ("subtract", [w, dw_id]),
                "dw": ("copy", [dw_id]),
            }[rules.update]
            updates[key] = (dw_op, dw_args, new_op, new_args)

        def emit_update(source: str, target: str, *, k: int = k, updates: dict = updates) -> None:
            key = f"{source}_{target}"
            dw_op, dw_args, new_op, new_args = updates.pop(key)
            add(step_id(f"dw_{key}", k), "dw", k, key, dw_op, dw_args)
            add(step_id(f"new_w_{key}", k), "new_w", k, key, new_op, new_args)

        for layer in reversed(instance.layers):
            for n in layer:
                o, p = step_id(f"o_{n}", k), step_id(f"p_{n}", k)
                if instance.is_final(n):
                    d = step_id(f"d_{n}", k)
                    if rules.derivative == "p(1-p)":
                        op, args = "delta_out_dp", [p, o, d]
                    elif rules.derivative == "none":
                        op, args = "delta_out_noderiv", [o, d]
                    else:
                        op, args = ("delta_out_flipped" if rules.error == "o-d" else "delta_out"), [o, d]
                else:
                    outgoing = list(instance.outgoing(n))
                    if rules.downstream == "first":
                        outgoing = outgoing[:1]
                    pairs: list[str] = []
                    for c in outgoing:
                        w = weight_ref(instance, n, c.target, k)
                        if rules.backprop_weights == "new" and instance.updates(c):
                            # the mistake: the weight after this step's update
                            w = step_id(f"new_w_{c.key}", k)
                            if w not in done:
                                emit_update(n, c.target)
                        pairs += [w, step_id(f"delta_{c.target}", k)]
                    if rules.derivative == "p(1-p)":
                        op, args = "delta_hidden_dp", [p, o] + pairs
                    elif rules.derivative == "none":
                        op, args = "delta_hidden_noderiv", [o] + pairs
                    else:
                        op, args = "delta_hidden", [o] + pairs
                add(step_id(f"delta_{n}", k), "delta", k, n, op, args)
                for c in instance.incoming(n):
                    if instance.updates(c):
                        update_of(c.source, n)

        # weight updates, in the canonical order of the connections
        for c in instance.connections:
            if c.key in updates:
                emit_update(c.source, c.target)

    return tuple(planned)
