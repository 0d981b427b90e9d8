"""Whose a file of Gradescope's submissions export is (``backprop grade --id-from gradescope``).

Gradescope's "Export Submissions" (Assignment > Review Grades) is a folder (a zip) with one folder
per submission, ``submission_<number>/``, holding the files as they were uploaded, and at its root
``submission_metadata.yml``, which Gradescope writes: under each ``submission_<number>`` key,
``:submitters:`` (a list of ``:name:``, ``:sid:``, ``:email:``), ``:created_at:``, ``:score:``,
``:history:`` (the earlier submissions) and more, with Ruby's symbol keys. No roster is needed:
the export says who submitted what.

The rule:

- The export's root is the folder holding ``submission_metadata.yml`` right above a file's
  *outermost* ``submission_<number>`` folder. Students choose what is inside their own folder
  (folders too, and a file named ``submission_metadata.yml``), never what is beside it: a yml in a
  folder below a ``submission_<number>`` folder is never read, and a folder named
  ``submission_<number>`` inside a student's folder moves nothing.
- A file in no ``submission_<number>`` folder (added by the instructor) is its name's student.
- A submission's submitter (``:sid:`` or ``:email:``) is matched to the key's student by the
  way that names the most of the key's students: the SID as the key's id, the email as the key's
  id, or the email as the key's email (:meth:`GradescopeIds.for_key`, decided once for the batch).
- A group submission (several submitters): the file's signed metadata picks which submitter it is
  when it names one of them (each member can upload their own personal handout into the one
  submission); a file that names none of them is an error, on the row ``gradescope-<number>``,
  naming the submitters (the handouts are personal variants: it is nobody's in particular).
- A ``submission_<number>`` folder the yml does not list (or with no yml above it) is
  ``unknown`` ``gradescope-<number>``.
- A key's student whom two submissions list (an SID or email given to two accounts) is the row
  only of a file whose signed metadata claims them; another file of those submissions is
  ``unknown`` ``gradescope-<number>`` (the newest file would otherwise take the row). So is a
  submitter the key does not have whose SID, email and name cannot be a file name, or are empty
  (never the name of the file, which the student chose).

The yml is read once per export (:func:`read_exports`, before grading), with a safe loader that
reads Ruby's tags (``!ruby/object:...``, ``!ruby/hash:...``) as the plain maps, lists and strings
they tag, and timestamps as text.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import BackpropError
from .key_match import fold, key_lookups, row_id

#: the name of Gradescope's metadata file, at the export's root
METADATA = "submission_metadata.yml"
#: a submission's folder in the export
FOLDER = re.compile(r"^submission_(?P<number>[0-9]+)$")
#: how a submitter can name the key's student: (the yml's field, looked up among the key's)
WAYS = (("sid", "ids"), ("email", "ids"), ("email", "emails"))
EXPORT = ("Gradescope's export as downloaded (Assignment > Review Grades > Export Submissions, unzipped): "
          f"the folder holding {METADATA} and a submission_<number> folder per submission")

Submitter = tuple[str, str, str]  # (name, SID, email)
#: the largest yml read: PyYAML builds all of it, about 0.6 s and 45 MB of memory per MB of yml
#: (/usr/bin/time -v on a generated export), and 10,000 submissions, one submitter each with
#: three earlier submissions, are 4.5 MB (3 s, 220 MB): 16 MB holds 10,000 with a dozen each
METADATA_MOST = 16 * 1024 * 1024


def gradescope_folder(path: str) -> tuple[str, str] | None:
    """(the folder above, the number) of the outermost ``submission_<number>`` folder on the path of
    the file at ``path``; None when it is in none."""
    parts = Path(os.path.abspath(path)).parts
    for i in range(1, len(parts) - 1):  # (folders only: the last part is the file's name)
        found = FOLDER.match(parts[i])
        if found:
            return os.path.join(*parts[:i]), _number(found.group("number"))
    return None


@dataclass(frozen=True)
class GradescopeIds:
    """The submitters of every submission of the exports, and, by :meth:`for_key`, the key's
    student of each submitter."""

    # (export root, ((number, its submitters), ...)) an export
    exports: tuple[tuple[str, tuple[tuple[str, tuple[Submitter, ...]], ...]], ...]
    lookup: tuple[tuple[str, str], ...] = ()  # (folded SID or email, the key's student), by for_key
    way: str = "sid"  # the field the lookup is of
    #: the key's students whom several submissions list (by for_key): a file of theirs must claim them
    shared: tuple[str, ...] = ()
    _table: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def pairs(self) -> list[Any]:
        """What the run's fingerprint holds of the exports (a changed yml regrades)."""
        return [[root, [[n, [list(s) for s in subs]] for n, subs in listed]] for root, listed in self.exports]

    def submitters(self, root: str, number: str) -> tuple[Submitter, ...] | None:
        """The submitters of submission ``number`` of the export at ``root``; None: not listed."""
        return self._tables()[0].get((root, number))

    def has_root(self, root: str) -> bool:
        return any(r == root for r, _ in self.exports)

    def student(self, submitter: Submitter) -> str:
        """The key's student the submitter is (after :meth:`for_key`), else their own SID, email or name
        when it can name a row (:func:`~grader.batch.key_match.row_id`), else ``""`` (the submission's
        row is then ``gradescope-<number>``)."""
        name, sid, email = submitter
        cell = sid if self.way == "sid" else email
        found = self._tables()[1].get(fold(cell)) if cell else None
        return found or row_id(cell, sid, email, name) or ""

    def _tables(self) -> tuple[dict[tuple[str, str], tuple[Submitter, ...]], dict[str, str]]:
        if not self._table:  # (built once per process, from the plain tuples that are pickled)
            self._table["listed"] = {(r, n): subs for r, listed in self.exports for n, subs in listed}
            self._table["lookup"] = dict(self.lookup)
        return self._table["listed"], self._table["lookup"]

    def for_key(self, students: Mapping[str, Any]) -> GradescopeIds:
        """These exports matched to the key's ``students`` (id -> entry with ``email``) the way that
        names the most of them; none named at all is an error (another course's export)."""
        ids, emails = key_lookups(students)
        lookups = {"ids": ids, "emails": emails}
        everyone = [s for _, listed in self.exports for _, subs in listed for s in subs]
        best, most = WAYS[0], -1
        for way in WAYS:  # (the first of equals)
            cells = {fold(s[1] if way[0] == "sid" else s[2]) for s in everyone}
            named = len({lookups[way[1]][c] for c in cells if lookups[way[1]].get(c)})
            if named > most:
                best, most = way, named
        if not most:
            raise BackpropError(f"{self.exports[0][0]}: none of the submitters in {METADATA} is on the key's "
                                "roster (matched by SID and by email); give the export of this assignment, "
                                "or the key generated from its course's roster")
        table = lookups[best[1]]
        lookup = {}
        for s in everyone:
            cell = fold(s[1] if best[0] == "sid" else s[2])
            if cell and table.get(cell):
                lookup[cell] = table[cell]
        listed: dict[str, int] = {}  # (a student in two submissions: an SID or email given to two accounts)
        for _, submissions in self.exports:
            for _, subs in submissions:
                for student in {lookup.get(fold(s[1] if best[0] == "sid" else s[2])) for s in subs} - {None}:
                    listed[student] = listed.get(student, 0) + 1
        shared = tuple(sorted(s for s, n in listed.items() if n > 1))
        return GradescopeIds(self.exports, tuple(sorted(lookup.items())), best[0], shared)


def gradescope_student(path: str, ids: GradescopeIds | None, claimed: Any = None) -> str | None:
    """The row's student of the file at ``path``: None when it is in no ``submission_<number>``
    folder (its name's student); ``gradescope-<number>`` for a submission no yml lists; the key's
    student of its submitter; of a group's submitters, the one ``claimed`` (what the file's metadata
    names) is, else ``gradescope-<number>``."""
    where = gradescope_folder(path)
    if where is None:
        return None
    root, number = where
    submitters = ids.submitters(root, number) if ids is not None else None
    if not submitters:
        return f"gradescope-{number}"
    students = [ids.student(s) for s in submitters]  # (ids is not None: it listed them)
    if len(students) == 1:  # (never the file's name, which the student chose; one another submission
        # lists too only for a file that claims them: whose the submission is, the export does not say)
        if not students[0] or (students[0] in ids.shared and claimed != students[0]):
            return f"gradescope-{number}"
        return students[0]
    return claimed if isinstance(claimed, str) and claimed and claimed in students else f"gradescope-{number}"


def check_group(path: str, ids: GradescopeIds | None, claimed: Any) -> None:
    """Raise the error of a group submission's file that names none of its submitters."""
    where = gradescope_folder(path)
    submitters = ids.submitters(*where) if ids is not None and where is not None else None
    if not submitters or len(submitters) < 2:
        return
    students = [ids.student(s) for s in submitters]
    if isinstance(claimed, str) and claimed and claimed in students:
        return
    from .identity import quoted

    names = ", ".join(f"{_shown(s[0]) or '?'} ({student or '?'})"
                      for s, student in zip(submitters, students, strict=True))
    said = ("has no backprop metadata to say which of them it is" if claimed is None
            else f"names {quoted(claimed)}, none of them")
    raise BackpropError(f"{path}: Gradescope submission {where[1]} is a group submission of {names}, and the "
                        f"file {said}; each member uploads their own handout (its signed metadata says "
                        "whose it is), or grade it with --id-from metadata")


def unknown_message(path: str, student: str, ids: GradescopeIds | None) -> tuple[str, str]:
    """(what to do, what is wrong) for a file that ``--id-from gradescope`` finds nobody for."""
    where = gradescope_folder(path)
    if where is None:  # (a file in no submission folder is its name's student, as with --id-from name)
        return ("rename the file",
                f"its file name says {student!r}, who is not on the key's roster, and it is not in a "
                "submission_<number> folder of Gradescope's export")
    root, number = where
    submitters = ids.submitters(root, number) if ids is not None else None
    if submitters == ():
        return ("grade the export as downloaded",
                f"{os.path.join(root, METADATA)} lists no submitter of its Gradescope submission {number}")
    if not submitters:
        if ids is None or not ids.has_root(root):
            return ("grade the export as downloaded",
                    f"its folder submission_{number} is in a folder with no {METADATA} ({root})")
        return ("grade the export as downloaded",
                f"its Gradescope submission {number} is not in {os.path.join(root, METADATA)}")
    named = [ids.student(s) for s in submitters if ids.student(s) in ids.shared]
    if student == f"gradescope-{number}" and named and len(submitters) == 1:
        return ("give each account its own SID in Gradescope's roster and export again",
                f"its Gradescope submission {number} is by {named[0]!r}, and so is another submission of the "
                f"export: which is {named[0]}'s the export does not say, and the file's metadata does not "
                "claim it")
    if student == f"gradescope-{number}":  # (a submitter whose ids cannot name a row: see student)
        return ("add the student to the key (generate --add)",
                f"its Gradescope submission {number} is by a submitter whose SID and email name nobody on "
                "the key's roster")
    name = _shown(next((s[0] for s in submitters if ids.student(s) == student), "")) or "no name"
    return ("add the student to the key (generate --add)",
            f"its Gradescope submission {number} is by {student!r} ({name}), who is not on the key's roster")


def read_exports(files: Sequence[str]) -> GradescopeIds:
    """The :class:`GradescopeIds` of the exports the ``files`` are in: each root's yml read once;
    no yml above any file is an error that says what to give."""
    roots: dict[str, bool] = {}  # folder -> whether it holds the yml
    for f in files:
        where = gradescope_folder(f)
        if where is not None and where[0] not in roots:
            roots[where[0]] = os.path.isfile(os.path.join(where[0], METADATA))
    found = sorted(r for r, has in roots.items() if has)
    if not found:
        given = "no file is in a submission_<number> folder" if not roots else f"no {METADATA} is above them"
        raise BackpropError(f"--id-from gradescope needs {EXPORT}; {given}")
    return GradescopeIds(tuple((root, read_metadata(os.path.join(root, METADATA))) for root in found))


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML's safe loader, reading an unknown tag as the plain node it tags and a timestamp as text,
    and a merge key (``<<``, which Gradescope does not write) as a plain key: PyYAML before 6.0.4
    copied the pairs of every merge, so that 30 lines each merging the line above twice made 2**30
    pairs (the time and memory of a yml of 1 KB doubled with each line)."""

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        pass


def _untagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_Loader.add_constructor(None, _untagged)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _untagged)
_Loader.add_constructor("!binary", yaml.SafeLoader.construct_yaml_binary)  # (Ruby's tag for bytes, base64)


def read_metadata(path: str) -> tuple[tuple[str, tuple[Submitter, ...]], ...]:
    """(number, its submitters) of each submission that the yml at ``path`` lists; a file that is not
    Gradescope's metadata is an error that says so."""
    from ..files import read_bytes

    hint = " (10,000 submissions with their history are about 5 MB: give the export's own)"
    data = read_bytes(path, noun=METADATA, plural=f"Gradescope {METADATA} files", most=METADATA_MOST,
                      size_hint=hint)
    try:
        doc = yaml.load(data, Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        if isinstance(exc, yaml.reader.ReaderError):  # (bytes that are not text)
            problem, at = "it is not UTF-8 text", f" at byte {exc.position}"
        else:
            problem = " ".join(str(getattr(exc, "problem", "") or exc).split())  # (one line)
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}" if mark is not None else ""
        raise BackpropError(f"{path}: is not readable YAML ({problem}{at}); download the export again "
                            "(Assignment > Review Grades > Export Submissions)") from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise BackpropError(f"{path}: is not readable YAML ({exc}); download the export again") from None
    if not isinstance(doc, dict) or not any(isinstance(k, str) and FOLDER.match(k) for k in doc):
        raise BackpropError(f"{path}: is not Gradescope's {METADATA} (no submission_<number> keys); give "
                            f"{EXPORT}")
    listed = []
    for key, entry in doc.items():
        found = FOLDER.match(key) if isinstance(key, str) else None
        if found:
            people = _get(entry, "submitters")
            people = people if isinstance(people, list) else []
            listed.append((_number(found.group("number")),
                           tuple((_text(_get(p, "name")), _text(_get(p, "sid")), _text(_get(p, "email")))
                                 for p in people if isinstance(p, dict))))
    return tuple(listed)


def _shown(name: str) -> str:
    """A submitter's name (their account's, which they choose) for a message: on one line (a new line
    in it printed lines of its own under grade's summary), its first 60 characters."""
    one = " ".join(name.split())
    return one if len(one) <= 60 else f"{one[:60]}..."


def _number(digits: str) -> str:
    """A submission's number as written without its leading zeros (not through ``int``: a number of
    thousands of digits, in a bad yml, is an error of Python's there)."""
    return digits.lstrip("0") or "0"


def _get(entry: Any, name: str) -> Any:
    """The field ``name`` of a mapping of the yml, under Ruby's symbol key ``:name`` (or a plain one)."""
    if not isinstance(entry, dict):
        return None
    return entry.get(f":{name}", entry.get(name))


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bytes):  # (Ruby writes a string that is not UTF-8 as !binary)
        return value.decode("utf-8", "replace").strip()
    return str(value).strip()
