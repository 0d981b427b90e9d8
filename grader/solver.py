"""The solver: forward pass, deltas and updates as the 6.034 derivation defines them.

``solve(instance)`` returns an immutable :class:`Trace`. Every :class:`Quantity` in it knows its
id (DESIGN section 3), its formula, the op that computes it, the ids of its arguments and their
values: the dependency graph that worked solutions and error-carried-forward walk. Given values
(inputs, desired outputs, alpha, the first step's weights, the constant bias input) are in
``Trace.givens`` under the ids the notebooks use: ``x1``, ``d_C``, ``alpha``, ``w_x1_A``,
``bias``; from step 2 on inputs and desired values carry the step suffix (``x1_step2``).

Online learning: one forward pass, one backward pass and one update per sample, samples in
order, ``epochs`` passes. Every delta of a step uses the weights as they were before that
step's update (unless a misconception's rules say otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .errors import BackpropError
from .model import BIAS, BIAS_KINDS, Instance
from .ops import OPS, compute
from .rules import CORRECT, Rules

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
    """The whole derivation: givens and quantities in the order of the derivation."""

    instance: Instance
    rules: Rules
    givens: tuple[tuple[str, float], ...]
    quantities: tuple[Quantity, ...]
    _index: dict[str, Quantity] = field(default_factory=dict, repr=False, compare=False)
    _given: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    #: results of pure functions of the trace, kept by the modules that compute them (the
    #: tolerances of :mod:`grader.tolerance`), so that they are computed once per trace
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({q.id: q for q in self.quantities})
        self._given.update(self.givens)

    def __getitem__(self, qid: str) -> Quantity:
        return self._index[qid]

    def __contains__(self, qid: object) -> bool:
        return qid in self._index

    def __iter__(self) -> Iterator[Quantity]:
        return iter(self.quantities)

    def value(self, qid: str) -> float:
        if qid in self._index:
            return self._index[qid].value
        return self._given[qid]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.quantities)

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


def givens(instance: Instance, rules: Rules = CORRECT) -> dict[str, float]:
    """The given values by id, as the notebooks define them."""
    return _givens(instance, rules, _program(instance, rules))


def _givens(instance: Instance, rules: Rules, program: _Program) -> dict[str, float]:
    out: dict[str, float] = {"alpha": instance.alpha}
    bias = BIAS_KINDS[instance.bias]
    if bias is not None:
        out[BIAS] = bias * (-1 if rules.bias_input == "flipped" else 1)
    out.update(zip(program.weight_ids, [c.weight for c in instance.connections], strict=True))
    samples = instance.samples
    for i, input_ids, desired_ids in program.step_ids:
        sample = samples[i]
        out.update(zip(input_ids, [v for _, v in sample.inputs], strict=True))
        out.update(zip(desired_ids, [v for _, v in sample.desired], strict=True))
    return out


#: One planned quantity: (id, kind, step, subject, op, args). The plan is the dependency graph;
#: it depends on the net's structure and the rules, never on the numbers.
Planned = tuple[str, str, int, str, str, tuple[str, ...]]
_PLANS: dict[tuple, tuple[Planned, ...]] = {}


def _structure(instance: Instance) -> tuple:
    """The net's structure, everything but its numbers: inputs, layers, connections, bias,
    update_bias, sample count, epochs (kept by the instance: :attr:`Instance._structure`)."""
    return instance._structure


def plan(instance: Instance, rules: Rules = CORRECT) -> tuple[Planned, ...]:
    """The quantities of ``instance`` under ``rules`` in the order of the derivation
    (cached: every variant of a family shares one plan per rule set)."""
    key = (_structure(instance), rules)
    found = _PLANS.get(key)
    if found is None:
        found = _PLANS[key] = _build_plan(instance, rules)
    return found


def solve(instance: Instance, rules: Rules = CORRECT) -> Trace:
    """Run every update step of ``instance`` under ``rules`` and return the trace."""
    program = _RIGHT.get(instance._structure) if rules is CORRECT else None
    if program is None:
        program = _program(instance, rules)
    given = _givens(instance, rules, program)
    try:
        quantities = program.run(given) if program.run is not None else _run(program, given)
    except (ValueError, OverflowError):  # inf - inf in a weighted sum: the numbers outgrew floats
        raise BackpropError(
            "the net's numbers grow too large to compute (a weighted sum overflows); "
            "use weights, inputs and a rate alpha of ordinary size, such as 0.5"
        ) from None
    # Trace(instance, rules, givens, quantities), made faster: the frozen dataclass's __init__
    # sets each field with object.__setattr__; this fills the new object's __dict__ (read, not
    # set: a frozen dataclass allows that). Quantities are made the same way.
    trace = _new(Trace)
    trace.__dict__.update({
        "instance": instance, "rules": rules, "givens": tuple(given.items()), "quantities": quantities,
        "_index": dict(zip(program.ids, quantities, strict=True)), "_given": given, "_memo": {},
    })
    return trace


def _run(program: _Program, given: dict[str, float]) -> tuple[Quantity, ...]:
    """The quantities of ``program`` from the givens, one after the other."""
    values: dict[str, float] = dict(given)
    quantities: list[Quantity] = []
    append = quantities.append
    for qid, fields, arguments, compute_step in program.steps:
        arg_values = arguments(values)
        q = _new(Quantity)
        d = q.__dict__
        d.update(fields)
        d["value"] = values[qid] = compute_step(arg_values)
        d["arg_values"] = arg_values
        append(q)
    return tuple(quantities)


def _compiled(steps: tuple) -> Callable[[dict[str, float]], tuple[Quantity, ...]] | None:
    """:func:`_run` of ``steps`` written out as one function, each value in a local variable:
    the same ops on the same argument tuples (so the same values, bit for bit), without the
    loop and the lookups by id. None for long derivations (their code would take long to
    compile)."""
    if len(steps) > 600:
        return None
    slot: dict[str, str] = {}  # id -> the variable that holds its value
    env: dict[str, Any] = {"new": _new, "Q": Quantity}
    head = []
    body = []
    for i, (qid, fields, _arguments, compute_step) in enumerate(steps):
        names = []
        for a in fields["args"]:
            if a not in slot:  # a given
                slot[a] = f"g{len(slot)}"
                env[f"k{slot[a]}"] = a
                head.append(f"    {slot[a]} = given[k{slot[a]}]")
            names.append(slot[a])
        env[f"f{i}"] = fields
        env[f"c{i}"] = compute_step
        slot[qid] = f"v{i}"
        body += [
            f"    a = ({', '.join(names)}{',' if len(names) == 1 else ''})",
            f"    v{i} = c{i}(a)",
            f"    q{i} = q = new(Q)",
            "    d = q.__dict__",
            f"    d.update(f{i})",
            f"    d['value'] = v{i}",
            "    d['arg_values'] = a",
        ]
    code = "\n".join(["def run(given):"] + head + body + [
        f"    return ({', '.join(f'q{i}' for i in range(len(steps)))},)"
    ])
    exec(compile(code, "<grader.solver program>", "exec"), env)
    return env["run"]


class _Program:
    """How to solve the instances of one structure under one rule set: the plan with each
    quantity's fixed fields, a function that picks its arguments' values (a tuple, in the
    order of its args) and its op's arithmetic; and the ids of the givens."""

    __slots__ = ("steps", "ids", "weight_ids", "step_ids", "run")


_PROGRAMS: dict[tuple, _Program] = {}


#: the programs of the right rules by structure alone (hashing the rules costs a tenth of a solve)
_RIGHT: dict[tuple, _Program] = {}


def _program(instance: Instance, rules: Rules) -> _Program:
    key = (instance._structure, rules)
    found = _PROGRAMS.get(key)
    if found is None:
        found = _PROGRAMS[key] = _make_program(instance, rules)
        if rules == CORRECT:
            _RIGHT[instance._structure] = found
    return found


def _make_program(instance: Instance, rules: Rules) -> _Program:
    program = _Program()
    steps = []
    for qid, kind, step, subject, op, args in plan(instance, rules):
        fields = {"id": qid, "base": split_id(qid)[0], "kind": kind, "step": step, "subject": subject,
                  "value": None, "op": op, "args": args, "arg_values": None}
        steps.append((qid, fields, _picker(args), _COMPUTE[op]))
    program.steps = tuple(steps)
    program.run = _compiled(program.steps)
    program.ids = tuple(step[0] for step in steps)
    program.weight_ids = tuple(f"w_{c.key}" for c in instance.connections)
    program.step_ids = tuple(
        ((k - 1) % len(instance.samples),
         tuple(step_id(name, k) for name, _ in instance.sample_of_step(k).inputs),
         tuple(step_id(f"d_{name}", k) for name, _ in instance.sample_of_step(k).desired))
        for k in range(1, instance.steps + 1)
    )
    return program


def _picker(args: tuple[str, ...]) -> Callable[[dict[str, float]], tuple[float, ...]]:
    """``lambda values: tuple([values[a] for a in args])``, in C where it can be."""
    if len(args) >= 2:
        return itemgetter(*args)
    if len(args) == 1:
        (only,) = args
        return lambda values: (values[only],)
    return lambda values: ()


#: each op's arithmetic by name
_COMPUTE = {name: op.compute for name, op in OPS.items()}
_new = object.__new__
_set = object.__setattr__


def _quantity(id: str, base: str, kind: str, step: int, subject: str, value: float, op: str,
              args: tuple[str, ...], arg_values: tuple[float, ...]) -> Quantity:
    """``Quantity(...)`` made faster: the frozen dataclass's generated ``__init__`` sets each
    field with ``object.__setattr__``, a third of the cost of a solve; this fills the
    instance's ``__dict__`` in one step. The result is the same object (equal, frozen)."""
    q = _new(Quantity)
    _set(q, "__dict__", {"id": id, "base": base, "kind": kind, "step": step, "subject": subject,
                         "value": value, "op": op, "args": args, "arg_values": arg_values})
    return q


def _build_plan(instance: Instance, rules: Rules) -> tuple[Planned, ...]:
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
