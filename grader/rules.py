"""The rules of the solver, and the misconceptions as named changes to one rule each.

:data:`CORRECT` is the 6.034 derivation. Each :class:`Misconception` replaces exactly one field
of it ("mutant solvers"), so ``solve(instance, rules=m.rules)`` is what a student who holds
that misconception, and makes no other mistake, would write. The ids are the contract of
DESIGN section 6.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Rules:
    #: how the final-layer error is written: "d-o" (right) or "o-d"
    error: str = "d-o"
    #: the sigmoid's derivative in a delta: "o(1-o)" (right), "none" or "p(1-p)"
    derivative: str = "o(1-o)"
    #: weights a hidden delta is propagated through: "old" (right) or "new"
    backprop_weights: str = "old"
    #: downstream neurons a hidden delta sums over: "all" (right) or "first"
    downstream: str = "all"
    #: the o in dw_F_N = alpha o delta_N: "source" (o_F, right) or "target" (o_N)
    dw_input: str = "source"
    #: whether dw carries alpha
    dw_alpha: bool = True
    #: how new_w is formed: "w+dw" (right), "w-dw" or "dw"
    update: str = "w+dw"
    #: the constant input of bias weights: "right" or "flipped" (+1 for -1 and the reverse)
    bias_input: str = "right"


CORRECT = Rules()


@dataclass(frozen=True)
class Misconception:
    id: str
    #: what the student did, in the 6.034 notation
    mistake: str
    #: the right rule, to show beside the mistake
    right: str
    rules: Rules


MISCONCEPTIONS: dict[str, Misconception] = {
    m.id: m
    for m in (
        Misconception(
            "sign-flip",
            "the final-layer delta used (o - d) instead of (d - o)",
            "delta_N = o_N (1 - o_N) (d_N - o_N) for a final-layer neuron N",
            replace(CORRECT, error="o-d"),
        ),
        Misconception(
            "missing-derivative",
            "the delta lacks the sigmoid's derivative o (1 - o)",
            "delta_N = o_N (1 - o_N) (d_N - o_N), or o_N (1 - o_N) sum_R w_N_R delta_R for a hidden neuron",
            replace(CORRECT, derivative="none"),
        ),
        Misconception(
            "derivative-of-p",
            "the derivative o (1 - o) was evaluated with p instead of o",
            "the derivative of the sigmoid is o_N (1 - o_N), with the output o_N, not the sum p_N",
            replace(CORRECT, derivative="p(1-p)"),
        ),
        Misconception(
            "updated-weights",
            "the hidden delta used the already-updated weights; backprop uses the old weights",
            "delta_N = o_N (1 - o_N) sum_R w_N_R delta_R with w_N_R as it was before this step's update",
            replace(CORRECT, backprop_weights="new"),
        ),
        Misconception(
            "missing-sum",
            "the hidden delta took only one of the downstream neurons",
            "delta_N = o_N (1 - o_N) sum_R w_N_R delta_R, summed over every neuron R that N feeds",
            replace(CORRECT, downstream="first"),
        ),
        Misconception(
            "wrong-input",
            "dw used the receiving neuron's own output instead of the input on that weight",
            "dw_F_N = alpha o_F delta_N, with o_F the value that arrives on the weight F -> N",
            replace(CORRECT, dw_input="target"),
        ),
        Misconception(
            "missing-alpha",
            "dw was computed without the learning rate alpha",
            "dw_F_N = alpha o_F delta_N",
            replace(CORRECT, dw_alpha=False),
        ),
        Misconception(
            "dw-for-new-w",
            "the change dw was given where the new weight was asked",
            "new_w_F_N = w_F_N + dw_F_N",
            replace(CORRECT, update="dw"),
        ),
        Misconception(
            "update-sign",
            "the weight was updated as w - alpha o delta",
            "new_w_F_N = w_F_N + alpha o_F delta_N (with delta defined with d - o, the update adds)",
            replace(CORRECT, update="w-dw"),
        ),
        Misconception(
            "bias-input",
            "the constant bias input was taken with the wrong sign",
            "the constant input is -1 for a threshold (6.034) and +1 for a bias",
            replace(CORRECT, bias_input="flipped"),
        ),
    )
}
