"""Who may see the answers of a student's handout: ``solve`` (the whole worked solution) and
``check --reveal`` (every expected value).

The rule:

- A problem **signed for a student** (a handout ``generate`` made: the ``[meta]`` table of a
  TOML handout, or a notebook's ``metadata.backprop``, holds a ``signature``) is solved, or its
  expected values shown, only for its instructor, who proves it with the secret that signed it
  (``--secret FILE``: the handout's signature must be that secret's signature of its
  assignment, student and problem) or with the key that holds it (``--key key.json``: the key
  must hold that signature for that student). Without either, the instructor's own secret
  (``$XDG_CONFIG_HOME/backprop/secret``, as ``generate`` uses) is tried when it is there, so
  an instructor on their own machine is never asked.
- An **unsigned** problem (an instance file, a built-in family's, an instructor's own TOML)
  is anyone's to solve.

This is a speed bump for honest students, not security: a student has the problem, and can
work out every answer by hand or with a few lines of code, or copy the numbers into an
unsigned file of their own. It keeps the answers from being one command away.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import BackpropError
from .files import read_text
from .model import Instance


class Refused(BackpropError):
    """A signed student handout's answers asked for without the instructor's secret or key."""


def signature_of(meta: Mapping[str, Any] | None) -> str | None:
    """The handout's signature, or None for an unsigned problem."""
    if not isinstance(meta, Mapping):
        return None
    signature = meta.get("signature")
    return signature if isinstance(signature, str) and signature.strip() else None


def require_instructor(path: str, meta: Mapping[str, Any] | None, instance: Instance, *, what: str,
                       secret_file: str | None = None, key_file: str | None = None) -> None:
    """Return when the answers of the problem at ``path`` may be shown (see the module); raise
    :class:`Refused` otherwise, with one line saying why and what to pass. ``what`` names what
    was asked for, such as ``"its worked solution"``."""
    signature = signature_of(meta)
    if signature is None:
        return
    assert meta is not None
    student, assignment = meta.get("student"), meta.get("assignment")
    whose = f"student {student!r}, assignment {assignment!r}"
    fix = f"{what} is for the instructor: pass --secret FILE (the secret that generated it) or --key key.json"
    if key_file is not None:
        from .key import load_key

        key = load_key(key_file)
        entry = key.students.get(student) if isinstance(student, str) else None
        if entry is None or not hmac.compare_digest(entry.signature, signature):
            raise Refused(f"{path}: {key_file} does not hold this handout's signature ({whose}); "
                          "pass the key of the assignment that made it, or --secret FILE")
        return
    if secret_file is None:
        from .roster import default_secret_path

        default = default_secret_path()
        if not default.is_file():
            raise Refused(f"{path}: is a student's signed handout ({whose}); {fix}")
        secret_file = str(default)
    if not (isinstance(student, str) and isinstance(assignment, str) and _signed_by(
            read_secret(secret_file), assignment, student, instance, signature)):
        raise Refused(f"{path}: is a student's signed handout ({whose}) that {secret_file} did not sign "
                      f"(another secret, or the handout was edited); {fix}")


def _signed_by(secret: bytes, assignment: str, student: str, instance: Instance, signature: str) -> bool:
    from .generator import sign

    return hmac.compare_digest(sign(secret, assignment, student, instance), signature)


def read_secret(path: str | os.PathLike[str]) -> bytes:
    """The secret in ``path``, as ``generate`` reads it (never created here)."""
    p = Path(path)
    secret = read_text(p).strip()
    if not secret:
        raise BackpropError(f"{p}: is empty; --secret needs the secret file generate used")
    return secret.encode("utf-8")
