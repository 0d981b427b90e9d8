"""Whose a submission file is: where it came from, checked against what it says (issue 10).

The rule:

- The student is the one the file's *location* names: its file name up to the first dot
  (``student01.ipynb``, ``student01.v2.ipynb``), or, with ``--id-from folder``, the name of
  the folder it sits in (``student01/homework.ipynb``, as LMS and platform exports lay files
  out), or, with ``--id-from canvas``, the Canvas user id in the name Canvas's download gives
  the file, through the course's gradebook export (:mod:`grader.batch.canvas_names`), or, with
  ``--id-from moodle``, the participant id in the folder or name Moodle's download gives it,
  through the assignment's grading worksheet (:mod:`grader.batch.moodle_names`), or, with
  ``--id-from gradescope``, the submitter of the ``submission_<number>`` folder of Gradescope's
  export, through the export's own ``submission_metadata.yml``
  (:mod:`grader.batch.gradescope_names`); a file named otherwise, added by the instructor, is its
  name's student. A student can write anything into a file, but not where the instructor's
  download put it.
- The file's signed metadata (``metadata.backprop`` of a notebook, ``[meta]`` of a TOML
  handout) must agree. When it names another student the file is ``mismatch``: graded as the
  location's student, against the key's problem for that student, with both ids in the message;
  it never lands on, replaces or touches the other student's row.
- A location that names nobody on the key's roster is ``unknown``: flagged on a row of its own,
  with what the metadata claims, and scored against the claimed student's problem when the
  claim names someone on the roster (for the instructor to see; it counts for nobody).
- A file that agrees but whose problem, signature or assignment are not the key's is
  ``tampered`` (graded against the key's problem all the same).
- ``--id-from metadata`` trusts the file: the metadata's student decides (for files named
  arbitrarily), the file's name only when the metadata names nobody on the roster; two files
  that name the same student are duplicates (:func:`grader.batch.assemble.assemble` says which counts).

A whole batch whose signatures the key does not hold is refused before anything is graded
(:func:`check_key`): the instructor picked the wrong assignment's key, which is one error to
fix, not a column of ``tampered`` rows.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BackpropError

#: how many files, spread over the batch, :func:`check_key` reads before grading
KEY_SAMPLE = 25


@dataclass(frozen=True)
class Identity:
    """Whose row a file lands on, whose problem it is graded against, and what was found."""

    student: str  # the row's student
    graded_as: str | None  # the key's student whose problem it is graded against (None: nobody's)
    status: str  # graded | tampered | mismatch | unknown
    message: str
    warnings: tuple[str, ...] = ()


class WrongKey(BackpropError):
    """The submissions belong to another assignment (or another generation) than the key."""


def fallback_id(path: str, id_from: str, ids: Any = None, students: Container[str] | None = None) -> str:
    """The student the file's location names: its folder (``--id-from folder``), the student of
    the Canvas user id in its name (``--id-from canvas``, ``ids``: the
    :class:`~grader.batch.canvas_names.CanvasIds`; ``canvas-<id>`` for a user id the export does
    not have), the student of the Moodle participant id in its path (``--id-from moodle``, ``ids``:
    the :class:`~grader.batch.moodle_names.MoodleIds`; ``moodle-<id>`` for one the worksheet does
    not have), the submitter of its Gradescope submission folder (``--id-from gradescope``, ``ids``:
    the :class:`~grader.batch.gradescope_names.GradescopeIds`; ``gradescope-<number>`` for a
    submission it does not list, or of a group) or its name (:func:`name_student`; ``students``:
    the key's ids; also the row of a file that cannot be read with ``--id-from metadata``, or
    whose name or folder is not one the platform gives)."""
    if id_from == "folder":
        return Path(os.path.abspath(path)).parent.name  # (also for a file given by its bare name)
    if id_from == "canvas":
        from .canvas_names import canvas_user

        user = canvas_user(path)
        if user is not None:
            return (ids.student(user) if ids is not None else None) or f"canvas-{user}"
    if id_from == "moodle":
        from .moodle_names import moodle_participant

        participant = moodle_participant(path)
        if participant is not None:
            return (ids.student(participant) if ids is not None else None) or f"moodle-{participant}"
    if id_from == "gradescope":
        from .gradescope_names import gradescope_student

        found = gradescope_student(path, ids)
        if found:
            return found
    return name_student(Path(path).name, students)


def name_student(name: str, students: Container[str] | None = None) -> str:
    """The student a file's name names: the name up to its first dot (``student01.ipynb``,
    ``student01.v2.ipynb``), or the longest part of it up to a dot that is one of ``students``
    (the key's ids), for ids that hold dots: an email, which a Gradescope or Moodle roster gives
    as the id when a student has no SID or ID number (``jane.doe@uni.example.ipynb``); a name a
    browser gave a second download of the handout (``student01 (1).ipynb``) is that student's.
    A part that differs from an id only in case or Unicode form (``Jane.Doe@Uni.example.ipynb``)
    is that id's when no part is an id as it is (:func:`on_roster`); one that two ids fold to
    (``jd@x`` and ``JD@x`` on the roster, ``Jd@x.ipynb``) is returned as it is: nobody's."""
    parts = name.split(".")
    if students is not None:
        candidates = []
        for end in range(len(parts) - 1, 0, -1):  # (the longest first; never the whole name)
            candidate = ".".join(parts[:end])
            again = BROWSER_COPY.match(candidate)
            candidates += [candidate, again.group(1)] if again else [candidate]
        for candidate in candidates:
            if candidate in students:
                return candidate
        if isinstance(students, Mapping | set | frozenset | list | tuple):  # (one that can be listed)
            folded = folded_ids(students)
            for candidate in candidates:
                found = folded.get(fold(candidate))
                if found is not None:
                    return found or candidate
    return parts[0]


def fold(text: str) -> str:
    """An id as compared with the roster's: NFC (a Mac's decomposed accents composed), case-folded."""
    return unicodedata.normalize("NFC", text).casefold()


#: the last roster folded: (its ids, folded id -> id, or "" for a fold two ids share)
_FOLDED: list[Any] = [None, {}]


def folded_ids(students: Any) -> dict[str, str]:
    """The key's ids by :func:`fold` (``""``: two ids fold alike, so it names neither); kept for the
    last roster asked (the same object: a batch asks for one key's)."""
    if _FOLDED[0] is not students:
        found: dict[str, str] = {}
        for s in students:
            found[fold(s)] = "" if fold(s) in found else s
        _FOLDED[:] = [students, found]
    return _FOLDED[1]


def alike(student: str, students: Any) -> list[str]:
    """The ids of ``students`` that differ from ``student`` only in case or Unicode form."""
    name = fold(student)
    return sorted(s for s in students if fold(s) == name)


#: a file a browser saved a second time beside the first: ``student01 (1).ipynb``
BROWSER_COPY = re.compile(r"^(.+) \((\d{1,3})\)$")


#: the most characters of a file's own text (what its metadata claims) quoted in a message
QUOTED_MOST = 60


def quoted(value: Any) -> str:
    """What a file's metadata says, quoted for a message of one line: a string as ``repr`` (its
    first :data:`QUOTED_MOST` characters, and how long it is), anything else by its type (a
    list of 300,000 numbers, or one nested 900 deep, is not copied into the summary)."""
    if not isinstance(value, str):
        return "nothing" if value is None else f"a {type(value).__name__}, not a name"
    if len(value) <= QUOTED_MOST:
        return repr(value)
    return f"{value[:QUOTED_MOST]!r}... ({len(value):,} characters)"


def on_roster(student: str, key: Any) -> str:
    """``student``, or the one roster id that differs from it only in case (``STUDENT02.ipynb``
    is student02's: on a case-insensitive disk, its outputs would be theirs anyway) or in the
    Unicode form of its accents (a zip made on a Mac names ``josé`` with ``e`` and a combining
    accent: NFD, where rosters write NFC)."""
    if student in key.students:
        return student
    return folded_ids(key.students).get(fold(student)) or student  # (two ids that fold alike: neither)


def identify(meta: Any, path: str, key: Any, id_from: str, ids: Any = None) -> Identity:
    """The :class:`Identity` of the file at ``path`` whose metadata is ``meta`` (None: none);
    ``ids``: with ``--id-from canvas``, ``moodle`` or ``gradescope``, the students of the platform's ids."""
    if id_from == "metadata":
        return _by_metadata(meta, path, key)
    where = {"folder": "folder", "canvas": "Canvas user id"}.get(id_from, "file name")
    if id_from == "moodle":  # (a file in no folder Moodle's download gives is its name's student)
        from .moodle_names import moodle_participant

        participant = moodle_participant(path)
        where = "file name" if participant is None else "Moodle participant id"
    student = on_roster(fallback_id(path, id_from, ids, key.students), key)
    claimed = meta.get("student") if isinstance(meta, dict) else None
    if id_from == "moodle" and participant is not None and ids is not None:  # (a line another shares)
        student = ids.claimed(participant, claimed) or student
    if id_from == "gradescope":  # (of a group's submitters, the one the file names: see the module)
        from .gradescope_names import check_group, gradescope_folder, gradescope_student

        check_group(path, ids, claimed)
        student = on_roster(gradescope_student(path, ids, claimed) or student, key)
        where = "file name" if gradescope_folder(path) is None else "Gradescope submission"
    if student not in key.students:
        fix = {"file name": "rename the file", "folder": "move it to the student's folder"}.get(where)
        what = f"its {where} says {student!r}, who is not on the key's roster"
        if folded_ids(key.students).get(fold(student)) == "":
            what = (f"its {where} says {student!r}, which differs only in case from "
                    f"{' and '.join(map(repr, alike(student, key.students)))}, each on the key's roster")
            fix = "rename the file to the student's id exactly"
        if id_from == "canvas":
            fix, what = _canvas_unknown(path, student)
        if id_from == "moodle":
            from .moodle_names import unknown_message

            fix, what = unknown_message(path, student, ids)
        if id_from == "gradescope":
            from .gradescope_names import unknown_message as gradescope_unknown

            fix, what = gradescope_unknown(path, student, ids)
        return _unknown(student, meta, claimed, key, what, fix)
    if meta is None:
        return Identity(student, student, "graded", "", (
            f"no backprop metadata in the file; identified as {student!r} by its {where}",))
    if claimed == student:
        problems = _problems(meta, key.students[student], key)
        return Identity(student, student, "tampered" if problems else "graded", "; ".join(problems))
    if not isinstance(claimed, str):
        return Identity(student, student, "tampered", "the metadata names no student")
    return Identity(student, student, "mismatch",
                    f"its {where} says {student!r} but its signed metadata names {quoted(claimed)}"
                    f"{_whose(meta, student, claimed, key)}; graded as {student} against {student}'s problem")


def _by_metadata(meta: Any, path: str, key: Any) -> Identity:
    """``--id-from metadata``: the metadata's student decides (as the file says; see the module)."""
    claimed = meta.get("student") if isinstance(meta, dict) else None
    if isinstance(claimed, str) and claimed in key.students:
        problems = _problems(meta, key.students[claimed], key)
        return Identity(claimed, claimed, "tampered" if problems else "graded", "; ".join(problems))
    student = on_roster(fallback_id(path, "name", students=key.students), key)
    if student not in key.students:
        return _unknown(student, meta, claimed, key, f"its metadata names no student on the key's roster, "
                        f"nor does its file name ({student!r})", "rename the file")
    if meta is None:
        return Identity(student, student, "graded", "", (
            f"no backprop metadata in the file; identified as {student!r} by its file name",))
    return Identity(student, student, "tampered",
                    f"the metadata names student {quoted(claimed)}, who is not on the key's roster; "
                    f"identified as {student} by its file name")


def _canvas_unknown(path: str, student: str) -> tuple[str, str]:
    """(what to do, what is wrong) for a file that ``--id-from canvas`` finds nobody for."""
    from .canvas_names import canvas_user

    user = canvas_user(path)
    if user is None:  # (a file named otherwise is its name's student, as with --id-from name)
        return ("rename the file",
                f"its file name says {student!r}, who is not on the key's roster, and it is not a name "
                "Canvas's download gives (<name>_<user id>_<submission id>_<file>)")
    if student.startswith("canvas-"):
        return ("grade with the gradebook export of this course",
                f"its Canvas user id {user} is not in the gradebook export given with --roster")
    return ("add the student to the key (generate --add)",
            f"its Canvas user id {user} is {student!r} in the gradebook export, who is not on the key's "
            "roster")


def _unknown(student: str, meta: Any, claimed: Any, key: Any, what: str, fix: str) -> Identity:
    if isinstance(claimed, str) and claimed in key.students:
        return Identity(student, claimed, "unknown",
                        f"{what}; its metadata names {claimed!r} (scored against {claimed}'s problem, "
                        f"counted for nobody: {fix} or grade with --id-from metadata to count it)")
    said = "it has no backprop metadata" if meta is None else f"its metadata names {quoted(claimed)}"
    return Identity(student, None, "unknown", f"{what}; {said}; not graded")


def _problems(meta: Mapping[str, Any], entry: Any, key: Any) -> list[str]:
    """What in the metadata of a file that names ``entry``'s student is not the key's."""
    assignment = meta.get("assignment")
    if isinstance(assignment, str) and assignment != key.assignment:
        return [f"the file is for assignment {quoted(assignment)}, not this key's {key.assignment!r}"]
    problems = []
    if not same_instance(meta.get("instance"), entry):
        problems.append("the problem (instance) was changed")
    if meta.get("signature") != entry.signature:
        problems.append("the signature does not match")
    return problems


def _whose(meta: Mapping[str, Any], student: str, claimed: str, key: Any) -> str:
    """What the file of a mismatch holds: the claimed student's signed handout, or the
    location's own problem with another name."""
    other = key.students.get(claimed)
    if other is not None and meta.get("signature") == other.signature:
        return f" (it is {claimed}'s signed handout)"
    if same_instance(meta.get("instance"), key.students[student]):
        return f" (the problem is {student}'s own)"
    return ""


def same_instance(raw: Any, entry: Any) -> bool:
    """Whether the file's ``instance`` is the key entry's (as parsed, else as validated)."""
    if raw == entry.raw_instance:  # the common case: the handout's metadata, untouched
        return True
    from ..validation import instance_from_dict

    if not isinstance(raw, dict):
        return False
    try:
        return instance_from_dict(raw).to_dict() == entry.instance.to_dict()
    except BackpropError:
        return False


def check_key(key: Any, key_path: str, files: Sequence[str],
              read_meta: Callable[[str], Any]) -> None:
    """Refuse a batch graded with the wrong key (raises :class:`WrongKey`).

    Up to :data:`KEY_SAMPLE` files spread evenly over the batch are read (``read_meta(path)``:
    the file's metadata, None when it has none; unreadable files are skipped). The key is
    wrong when more than half of those that carry a signature carry one the key does not hold:
    then the message names the assignment those files are for. A few strays from another
    assignment in a batch of the right one are each ``tampered``, and the batch goes on.
    """
    if not files:
        return
    step = max(1, len(files) / KEY_SAMPLE)
    sample = [files[int(i * step)] for i in range(min(len(files), KEY_SAMPLE))]
    ours = {e.signature for e in key.students.values()}
    signed = 0
    foreign: Counter[str] = Counter()
    for path in sample:
        try:
            meta = read_meta(path)
        except Exception:  # (any failure is that file's error row, found when it is graded)
            continue
        signature = meta.get("signature") if isinstance(meta, dict) else None
        if not isinstance(signature, str):
            continue
        signed += 1
        if signature not in ours:
            assignment = meta.get("assignment")
            foreign[assignment if isinstance(assignment, str) else ""] += 1
    if 2 * sum(foreign.values()) <= signed:
        return
    theirs = foreign.most_common(1)[0][0]
    if theirs and theirs != key.assignment:
        raise WrongKey(f"{key_path} is for assignment {key.assignment!r} but the submissions are for "
                       f"{quoted(theirs)}; use that assignment's key")
    raise WrongKey(f"{key_path} holds none of the submissions' signatures (assignment {key.assignment!r}): "
                   "it was generated again after the handouts went out; use the key they were made with")
