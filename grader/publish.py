"""``backprop generate``'s work: a class's handouts, worked solutions and key, written into OUT
without destroying what is there and without ever mixing old files with new.

The rules, in the order they apply:

- **Never destroys.** An OUT that holds what a generate wrote (``key.json``, ``handouts/`` or
  ``solutions/``) is refused unless the call says what to do with it. ``replace`` (``--force``)
  removes the old handouts, solutions and key and puts the new ones in their place. ``add``
  (``--add``, for late students) keeps every student of the old key as they are (their files
  and their entry of the key, byte for byte, also those no longer on the roster) and adds the
  roster's students the key does not have yet. Anything else in OUT (a grading folder, an old
  secret) is left alone in every case.
- **Staged** (:mod:`grader.staging`). Every file is first written into a stage folder beside
  OUT (in OUT's parent, on the same file system; inside OUT when OUT is a mount point) and moved
  into place by renames once everything is written. A new OUT appears in one rename. Into an
  existing OUT, the old key goes out first and the new key comes in last, so a ``key.json``
  always has the handouts and solutions it belongs to beside it. A failure or an interrupt
  while the files are made (seconds for a class) leaves OUT as it was and removes the stage; a
  ``kill -9`` leaves OUT as it was and the hidden stage folder (``.OUT.generate-*``) behind,
  to be deleted.
- **Private.** ``key.json`` is written 0600, ``solutions/`` 0700 and its files 0600 (kept
  files too); handouts are as readable as the umask makes them.
- **The checker named.** Every handout says how to install the checker with one line, and
  ``checker/`` holds that line and the wheel it names (:mod:`grader.checker`): made once per
  generate, in this process (never on a Dask worker), or the one there reused.
"""

from __future__ import annotations

import hmac
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from . import checks
from .checker import Checker, Provision, own_wheel, parse_spec, provide
from .errors import BackpropError
from .family import Family
from .files import read_text
from .generator import Student, Variant, canonical, iter_variants, sign
from .key import key_document, key_entry, key_text
from .parallel import GENERATE_PRELOAD
from .staging import Stage
from .validation import instance_from_dict

FORMATS = ("toml", "md", "ipynb", "pdf")
DEFAULT_FORMATS = ("toml", "md")
#: what to do with an OUT that holds a generate's files: refuse, replace them, add students
MODES = ("new", "replace", "add")
#: what a generate writes into OUT: the key first out, last in
OWN = ("key.json", "handouts", "solutions", "checker")
#: of those, the instructor's only
PRIVATE = ("key.json", "solutions")


def parse_formats(value: str) -> tuple[str, ...]:
    """``"toml,md"`` -> ``("toml", "md")``, refusing unknown formats."""
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    for f in chosen:
        if f not in FORMATS:
            raise BackpropError(
                f"--format: unknown format {f!r}; choose from {', '.join(FORMATS)} (comma-separated)")
    if not chosen:
        raise BackpropError("--format: give at least one of toml, md, ipynb, pdf")
    return chosen


def answer_format(formats: Sequence[str]) -> str:
    """Where the handouts to read (Markdown, PDF) tell the student to write their answers: the
    ``.toml`` handout, or the notebook when only the notebook is handed out with them."""
    return "ipynb" if "ipynb" in formats and "toml" not in formats else "toml"


def renderers(formats: Sequence[str], combined: bool = False,
              checker: Checker | None = None) -> dict[str, Callable[[Variant], str | bytes]]:
    """The handout renderer of each format (failing early when a format is unavailable), each
    naming ``checker`` (default: this package's wheel) as what to install."""
    from .render import handout

    checker = checker or own_wheel()
    answer_in = answer_format(formats)
    found: dict[str, Callable[[Variant], str | bytes]] = {}
    if "toml" in formats:
        found["toml"] = partial(handout.handout_toml, checker=checker)
    if "md" in formats:
        found["md"] = partial(handout.handout_markdown, answer_in=answer_in, checker=checker)
    if "ipynb" in formats:
        try:
            from .render.notebook import notebook_handout
        except ImportError:
            raise BackpropError("--format ipynb is not available in this version; use toml,md") from None
        found["ipynb"] = partial(notebook_handout, checker=checker)
    if "pdf" in formats:
        try:
            from .render.pdf import handout_pdf
        except ImportError:
            raise BackpropError("--format pdf is not available in this version; use toml,md") from None
        found["pdf"] = partial(handout_pdf, answer_in=answer_in, checker=checker)
    if combined and "pdf" not in formats:
        raise BackpropError("--combined needs pdf among the --format values")
    return found


# --------------------------------------------------------------------------- OUT as found


@dataclass(frozen=True)
class Target:
    """OUT as found before anything is written: the generate's files there, and the old key
    (parsed, for ``add``)."""

    path: Path
    mode: str
    found: tuple[str, ...]
    key: dict[str, Any] | None


def open_target(out: str | os.PathLike[str], mode: str = "new") -> Target:
    """OUT checked for ``mode`` (one of :data:`MODES`): ``new`` refuses an OUT that holds a
    generate's files, ``add`` needs its key."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise BackpropError(f"{path}: is a file; --out needs a folder")
    found = tuple(name for name in OWN if os.path.lexists(path / name))
    if mode == "new" and found:
        raise BackpropError(
            f"{path}: already holds {_what(path, found)}; add the roster's new students with --add "
            "(everyone else keeps their variant), or replace it all with --force"
        )
    key = None
    if mode == "add":
        if "key.json" not in found:
            raise BackpropError(f"{path}: holds no key.json to add students to; generate without --add")
        key = _read_key(path / "key.json")
    return Target(path, mode, found, key)


def _what(path: Path, found: tuple[str, ...]) -> str:
    """``a key for 30 students, handouts/ and solutions/``"""
    names = [f"{name}/" for name in found if name != "key.json"]
    if "key.json" in found:
        try:
            count = len(_read_key(path / "key.json")["students"])
            names.insert(0, f"a key for {count} student{'s' if count != 1 else ''}")
        except BackpropError:
            names.insert(0, "a key.json")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _read_key(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(read_text(path))
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("students"), dict):
        raise BackpropError(f"{path}: is not a key written by backprop generate; replace it all with --force")
    return doc


def _kept_variants(target: Target, family: Family, secret: bytes, assignment: str) -> list[Variant]:
    """The old key's students as variants, checked to belong to this family, assignment and
    secret (a late student's variant must be signed like everyone else's)."""
    assert target.key is not None
    path = target.path / "key.json"
    doc = target.key
    if doc.get("family") != family.id or doc.get("assignment") != assignment:
        raise BackpropError(
            f"{path}: is the key of family {doc.get('family')!r}, assignment {doc.get('assignment')!r}; "
            f"--add needs the same family and --assignment, or replace it all with --force"
        )
    kept = []
    for sid, entry in doc["students"].items():
        try:
            instance = instance_from_dict(entry["instance"], f"{path}: students.{sid}.instance")
            v = Variant(student=sid, assignment=assignment, family=family.id, instance=instance,
                        asked=tuple(entry["asked"]), signature=str(entry["signature"]),
                        name=entry.get("name", ""), email=entry.get("email", ""))
        except (KeyError, TypeError, AttributeError):
            raise BackpropError(
                f"{path}: students.{sid} is incomplete; replace it all with --force") from None
        if not hmac.compare_digest(sign(secret, assignment, sid, instance), v.signature):
            hint = ""
            if (target.path / "secret.txt").exists():
                hint = f" (older versions kept it in {target.path / 'secret.txt'})"
            raise BackpropError(
                f"{path}: was signed with another secret; give --secret-file with the secret that made "
                f"it{hint}"
            )
        kept.append(v)
    return kept


def _formats_found(handouts: Path, students: Iterable[str]) -> tuple[str, ...]:
    """The formats of the handouts already written (``add`` writes late students the same)."""
    names = {p.name for p in handouts.iterdir()} if handouts.is_dir() else set()
    found = tuple(ext for ext in FORMATS if any(f"{sid}.{ext}" in names for sid in students))
    return found or DEFAULT_FORMATS


# --------------------------------------------------------------------------- the class's spread


@dataclass(frozen=True)
class Spread:
    """How equal the class's variants are, each as (value, number of students), ascending:
    answers asked, answers a zero gives away (:func:`grader.checks.free_ids`), alpha."""

    asked: tuple[tuple[int, int], ...]
    free: tuple[tuple[int, int], ...]
    alpha: tuple[tuple[float, int], ...]


def _stats(v: Variant) -> tuple[int, int, float]:
    return len(v.asked), len(checks.free_ids(v.trace(), v.asked)), v.instance.alpha


def spread(stats: Iterable[tuple[int, int, float]]) -> Spread:
    rows = list(stats)

    def counts(i: int) -> tuple:
        return tuple(sorted(Counter(r[i] for r in rows).items()))

    return Spread(asked=counts(0), free=counts(1), alpha=counts(2))


@dataclass(frozen=True)
class Published:
    """What a generate wrote: the students drawn now (in roster order), how many of the old
    key's were kept as they were, the spread of difficulty over the whole key, and the checker
    the new handouts name (None when nothing was written)."""

    out: Path
    mode: str
    formats: tuple[str, ...]
    combined: bool
    added: tuple[Variant, ...]
    kept: int
    spread: Spread
    checker: Provision | None = None

    @property
    def students(self) -> int:
        return self.kept + len(self.added)


# --------------------------------------------------------------------------- writing


def publish(target: Target, family: Family, students: Sequence[Student], secret: bytes, *, assignment: str,
            formats: Sequence[str] | None = None, combined: bool = False,
            jobs: int | None = None, imap: Callable[..., Any] | None = None,
            checker: str | None = None) -> Published:
    """Draw the variants of ``students`` (for ``add``: those not in the old key) and write
    their handouts (``formats``; for ``add`` by default those of the handouts there),
    worked solutions, the class PDF (``combined``), the checker (``checker``: the
    ``--checker`` value, else this package's wheel, :func:`grader.checker.provide`) and the key,
    by the rules of the module.

    The worker process that draws a variant also renders its files and its entry of the key
    (:func:`_render_student`: the trace is at hand, so there is no second solve and no second
    round of processes), and this process writes them into the stage in roster order as they
    come, while the workers go on drawing. ``imap``: where they are drawn instead of this
    machine's workers (a Dask cluster's, :mod:`grader.cluster`)."""
    kept: list[Variant] = []
    entries: dict[str, Any] = {}
    if target.mode == "add":
        kept = _kept_variants(target, family, secret, assignment)
        entries = dict(target.key["students"]) if target.key else {}
        formats = formats or _formats_found(target.path / "handouts", entries)
        # a class PDF there is made again with everyone (or left out when pdf is not asked for)
        combined = combined or ("pdf" in formats and (target.path / "handouts" / "class.pdf").exists())
    formats = tuple(formats or DEFAULT_FORMATS)
    renderers(formats, combined)  # fails early when a format is unavailable
    new = [s for s in students if s.id not in entries]
    stats = [_stats(v) for v in kept]
    added: list[Variant] = []
    if target.mode == "add" and not new:
        return Published(target.path, target.mode, formats, combined, (), len(kept), spread(stats))
    provision = provide(target.path, checker, add=target.mode == "add")
    try:
        stage = Stage(target.path, OWN, PRIVATE)
    except OSError as exc:
        raise BackpropError(f"{target.path}: cannot write ({exc.strerror or exc})") from None
    try:
        if kept:  # (not the files written below: a kept file is a link to OUT's)
            stage.keep(target.path, skip={"handouts/class.pdf", *(rel for rel, _ in provision.files)})
        for rel, content in provision.files:
            stage.write(rel, content)
        render = partial(_render_student, formats, assignment, provision.checker)
        drawn = iter_variants(family, new, secret, assignment, jobs, then=render,
                              taken={canonical(v.instance) for v in kept},
                              alpha_counts=Counter(v.instance.alpha for v in kept),
                              preload=GENERATE_PRELOAD, imap=imap)
        try:
            for v, (files, entry, row) in drawn:
                for rel, content in files:
                    stage.write(rel, content)
                entries[v.student] = entry
                stats.append(row)
                added.append(v)
        finally:
            drawn.close()  # on an error: stop the workers now
        if combined:
            from .render.pdf import class_pdf

            stage.write("handouts/class.pdf", class_pdf(kept + added, answer_in=answer_format(formats),
                                                        checker=provision.checker))
        document = dict(target.key) if target.key else key_document((), family, assignment)
        document["students"] = entries
        stage.write("key.json", key_text(document))
        stage.publish()
    except OSError as exc:
        raise BackpropError(f"{target.path}: cannot write ({exc.strerror or exc})") from None
    finally:
        stage.discard()
    return Published(target.path, target.mode, formats, combined, tuple(added), len(kept), spread(stats),
                     provision)


def generate(family: str, out: str | os.PathLike[str], *, roster: str | None = None, count: int | None = None,
             assignment: str = "hw", formats: str | None = None, secret_file: str | None = None,
             problems: str | None = None, combined: bool = False, jobs: int | None = None,
             force: bool = False, add: bool = False, scheduler: str | None = None,
             checker: str | None = None) -> tuple[Published, str | Path]:
    """``backprop generate`` with its options as given: the family and roster (a CSV, or
    ``count`` numbered students) loaded, the secret read (made when missing), OUT opened for
    ``force`` (replace) or ``add`` (late students) and :func:`publish`; returns what was
    written and the secret's path. Every problem with the options is a :class:`BackpropError`.
    ``scheduler``: the students' files are made on the workers of that Dask scheduler (``jobs``:
    how many chunks of students in flight there). ``checker``: what the handouts tell students
    to install (``--checker``; default: this package's wheel, written into OUT/checker)."""
    from .family import load_family
    from .roster import default_secret_path, load_or_create_secret, numbered_roster, read_roster

    chosen = parse_formats(formats) if formats is not None else None
    if checker is not None:
        parse_spec(checker)  # (a bad value fails before anything is read or written)
    if (roster is None) == (count is None):
        raise BackpropError("give exactly one of --roster CSV or --count N")
    if force and add:
        raise BackpropError("give at most one of --force (replace it all) and --add (late students)")
    if not assignment.strip() or any(c in assignment for c in "/\\\n"):
        raise BackpropError(f"--assignment: {assignment!r} is not a usable id; use letters, digits, - or _")
    target = open_target(out, "replace" if force else "add" if add else "new")
    fam = load_family(family, problems)
    students = read_roster(roster) if roster is not None else numbered_roster(count or 0)
    secret = secret_file or default_secret_path()  # (shown as given)
    if scheduler is None:
        done = publish(target, fam, students, load_or_create_secret(secret), assignment=assignment,
                       formats=chosen, combined=combined, jobs=jobs, checker=checker)
        return done, secret
    from .cluster import connect

    with connect(scheduler, jobs=jobs, pdf="pdf" in chosen if chosen is not None else add) as cluster:
        done = publish(target, fam, students, load_or_create_secret(secret), assignment=assignment,
                       formats=chosen, combined=combined, imap=cluster.imap, checker=checker)
    return done, secret


#: one student's files (path under OUT, content), entry of the key, and row of the spread
Rendered = tuple[list[tuple[str, str | bytes]], dict[str, Any], tuple[int, int, float]]


def _render_student(formats: tuple[str, ...], assignment: str, checker: Checker, v: Variant) -> Rendered:
    """One student's handouts (naming ``checker``) and worked solutions as (path under OUT,
    content), their entry of the key, and their row of the spread."""
    from .render.handout import picture_name
    from .render.solution import solution_markdown
    from .render.svg import net_svg

    handouts = renderers(formats, checker=checker)
    files: list[tuple[str, str | bytes]] = [
        (f"handouts/{v.student}.{ext}", render(v)) for ext, render in handouts.items()
    ]
    trace, sid = v.trace(), v.student
    picture = net_svg(v.instance)  # the drawing of the net the Markdown files link to, beside them
    if "md" in formats:
        files.append((f"handouts/{picture_name(sid)}", picture))
    files.append((f"solutions/{sid}.md", solution_markdown(trace, student=sid, assignment=assignment,
                                                           picture=picture_name(sid))))
    files.append((f"solutions/{picture_name(sid)}", picture))
    if "pdf" in formats:
        from .render.pdf import solution_pdf

        files.append((f"solutions/{sid}.pdf", solution_pdf(trace, student=sid, assignment=assignment)))
    return files, key_entry(v), _stats(v)


__all__ = [
    "FORMATS", "MODES", "Target", "Published", "Spread", "generate", "open_target", "publish",
    "parse_formats", "renderers", "spread",
]
