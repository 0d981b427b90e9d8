"""Is the problem in a handout still the one handed out? (``backprop check`` and the notebook's
self-check ask; grading never does: it grades against the key.)

The rules, in the order they apply:

- **The digest.** ``generate`` writes, beside the signature, a public digest of the handout's
  problem: ``[meta] problem_digest`` in the TOML, ``metadata.backprop.problem_digest`` in the
  notebook, ``"sha256:"`` and the SHA-256 of the problem's canonical text (:func:`canonical_text`:
  the validated instance as compact JSON with sorted keys, every number as the float it is,
  ``-0.0`` as ``0.0``). The canonical text does not depend on how the file spells the problem
  (TOML or JSON, ``1`` or ``1.0``, key order, an optional value written at its default), so a
  problem and its digest match exactly when ``grade`` would find the problem unchanged. The
  signature (an HMAC under the instructor's secret) cannot be checked on the student's
  machine; the digest can, and proves nothing: anyone can make one. It only tells an edit
  from the handout as it was, and it never makes a submission pass.
- **A mismatch** (:func:`digest_mismatch`): the file holds a digest of the form ``generate``
  writes and its problem's digest is another. A file without a digest (handed out before
  there was one) or with one the student's editor mangled is compared with nothing.
- **The cell of given values** (:func:`changed_givens`): in a notebook, the cell tagged
  ``givens`` defines the given values as Python variables, which answers computed in code use
  (statically read and run alike). Each top-level ``name = value`` there whose name is a given
  of the problem and whose value (a number, or an arithmetic expression over numbers) is not
  the problem's is reported with both values; a value that is no number is reported as such.
  The cell is parsed as the static reading of answers parses it (a line with a syntax error is
  left out, the rest read). Other cells are not read: an answer cell's own variables are the
  student's. :func:`compare` compares the cell only with a problem that matches its digest (or
  has none): against a problem known to be edited, it would name the wrong values.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .model import Instance

#: the name of the digest in ``[meta]`` and in ``metadata.backprop``
DIGEST_FIELD = "problem_digest"
_DIGEST_RE = re.compile(r"sha256:([0-9a-fA-F]{64})\Z")


def canonical_text(instance: Instance) -> str:
    """The problem as the text its digest is made of (see the module)."""
    return json.dumps(_plain(instance.to_dict()), sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value + 0.0  # (-0.0 + 0.0 is 0.0)
    return value


def problem_digest(instance: Instance) -> str:
    """``sha256:<hex>`` of the problem's canonical text: what ``generate`` writes into handouts."""
    return "sha256:" + hashlib.sha256(canonical_text(instance).encode("ascii")).hexdigest()


def digest_mismatch(meta: Mapping[str, Any] | None, instance: Instance) -> bool:
    """Whether ``meta`` holds a digest of the usual form that is not ``instance``'s (the problem
    was changed after the handout was made); False without one."""
    written = meta.get(DIGEST_FIELD) if isinstance(meta, Mapping) else None
    found = _DIGEST_RE.match(written) if isinstance(written, str) else None
    return found is not None and "sha256:" + found.group(1).lower() != problem_digest(instance)


class Changed(NamedTuple):
    """A given value the cell of given values defines otherwise than the problem."""

    name: str
    #: the value in the cell; None when it is no number
    written: float | None
    handed: float


@dataclass(frozen=True)
class Found:
    """What :func:`compare` finds: the problem does not match its digest (``edited``), or else
    the given values a notebook's cell of given values sets otherwise (``changed``)."""

    edited: bool
    changed: tuple[Changed, ...] = ()


def compare(meta: Mapping[str, Any] | None, instance: Instance,
            code: Sequence[tuple[str, Sequence[str]]] | None = None) -> Found:
    """The file's problem ``instance`` against the digest in its ``meta``; and, for a notebook
    (``code``: its code cells), when the problem is as handed out (or has no digest), its cell of
    given values against the problem."""
    edited = digest_mismatch(meta, instance)
    return Found(edited, changed_givens(code, instance) if code is not None and not edited else ())


def changed_givens(code: Sequence[tuple[str, Sequence[str]]], instance: Instance) -> tuple[Changed, ...]:
    """The given values that the cells tagged ``givens`` of ``code`` ((source, tags) per code cell,
    :class:`grader.notebooks.nbfile.Notebook`) set otherwise than ``instance``, in the cell's order
    (the last assignment of a name counts)."""
    from .notebooks.cells import parse_cell
    from .solver import givens

    handed = givens(instance)
    found: dict[str, float | None] = {}
    for source, tags in code:
        if "givens" not in tags:
            continue
        body, _lost = parse_cell(source)  # (as the static reading of answers parses it; it says what it lost)
        for stmt in body:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
            if isinstance(target, ast.Name) and target.id in handed:
                found[target.id] = _number(stmt.value)
    return tuple(Changed(name, value, handed[name]) for name, value in found.items() if value != handed[name])


def _number(node: ast.expr) -> float | None:
    """The number an assignment in the cell of givens gives: a number as written (however large),
    or plain arithmetic over numbers; else None (``float('nan')``, text, a name)."""
    from .errors import BackpropError
    from .expr import evaluate_node

    sign, operand = 1.0, node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, operand = (-1.0 if isinstance(node.op, ast.USub) else 1.0), node.operand
    if isinstance(operand, ast.Constant) and type(operand.value) in (int, float):
        try:
            value = sign * float(operand.value)
        except OverflowError:  # (an integer of more digits than a float holds)
            return None
        return value if math.isfinite(value) else None
    try:
        return float(evaluate_node(node))
    except (BackpropError, ValueError, TypeError, ArithmeticError, RecursionError):
        return None
