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

from .derivation import derive
from .model import Instance
from .rules import CORRECT, Rules
from .trace import (  # noqa: F401  (the solver's names, where most modules import them from)
    KINDS,
    Planned,
    Quantity,
    Trace,
    build_plan,
    split_id,
    step_id,
    weight_ref,
)


def solve(instance: Instance, rules: Rules = CORRECT) -> Trace:
    """Run every update step of ``instance`` under ``rules`` and return the trace."""
    return derive(instance, rules).solve(instance)


def givens(instance: Instance, rules: Rules = CORRECT) -> dict[str, float]:
    """The given values by id, as the notebooks define them."""
    return derive(instance, rules).givens(instance)


def plan(instance: Instance, rules: Rules = CORRECT) -> tuple[Planned, ...]:
    """The quantities of ``instance`` under ``rules`` in the order of the derivation (made
    once per structure and rules: :attr:`grader.derivation.Derivation.plan`)."""
    return derive(instance, rules).plan
