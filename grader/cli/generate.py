"""``backprop generate``: a personal variant of a family for every student on a roster."""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import click

from ..files import write_all
from .common import InputError, user_errors

FORMATS = ("toml", "md", "ipynb", "pdf")


def _formats(value: str) -> list[str]:
    chosen = [f.strip() for f in value.split(",") if f.strip()]
    for f in chosen:
        if f not in FORMATS:
            raise InputError(f"--format: unknown format {f!r}; choose from {', '.join(FORMATS)} (comma-separated)")
    if not chosen:
        raise InputError("--format: give at least one of toml, md, ipynb, pdf")
    return chosen


@click.command("generate")
@click.argument("family")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--roster", type=click.Path(dir_okay=False), default=None,
              help="CSV with a header row; the id column is id, student_id, 'SIS User ID' or ID.")
@click.option("--count", type=int, default=None, help="Instead of a roster: N students student01, student02, ...")
@click.option("--assignment", default="hw", show_default=True, help="Assignment id (part of every seed).")
@click.option("--format", "fmt", default="toml,md", show_default=True,
              help="Comma-separated handout formats: toml, md, ipynb, pdf.")
@click.option("--secret-file", type=click.Path(dir_okay=False), default=None,
              help="The instructor's secret (created, owner-only, if missing). Default: OUT/secret.txt.")
@click.option("--problems", type=click.Path(file_okay=False), default=None,
              help="A folder of your own family TOML files.")
@click.option("--combined", is_flag=True, help="With pdf: also one PDF of the whole class for printing.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Processes to use (default: all cores).")
def command(family: str, out: str, roster: str | None, count: int | None, assignment: str, fmt: str,
            secret_file: str | None, problems: str | None, combined: bool, jobs: int | None) -> None:
    """Generate a personal variant of FAMILY for every student.

    Writes OUT/handouts/<student>.toml and .md (and .ipynb, .pdf), the instructor key
    OUT/key.json and worked solutions OUT/solutions/<student>.md. The same secret and roster
    always give the same files. Keep the secret file and key.json away from students.

    Example:

        backprop generate 2-2-1-threshold --roster roster.csv --assignment hw3 --out hw3
    """
    from ..families import load_family
    from ..roster import load_or_create_secret, numbered_roster, read_roster

    formats = _formats(fmt)
    if (roster is None) == (count is None):
        raise InputError("give exactly one of --roster CSV or --count N")
    if not assignment.strip() or any(c in assignment for c in "/\\\n"):
        raise InputError(f"--assignment: {assignment!r} is not a usable id; use letters, digits, - or _")
    _renderers(formats, combined)  # fails early when a format is unavailable
    out_dir = Path(out)
    with user_errors():
        fam = load_family(family, problems)
        students = read_roster(roster) if roster is not None else numbered_roster(count or 0)
        secret = load_or_create_secret(secret_file or out_dir / "secret.txt")
        variants = _generate(out_dir, fam, students, secret, formats, assignment, combined, jobs)
    click.echo(
        f"Wrote {len(variants)} handouts ({', '.join(formats)}) to {out_dir / 'handouts'}, "
        f"worked solutions to {out_dir / 'solutions'} and the key to {out_dir / 'key.json'}."
    )


def _renderers(formats: list[str], combined: bool) -> dict:
    from ..render import handout

    renderers = {}
    if "toml" in formats:
        renderers["toml"] = handout.handout_toml
    if "md" in formats:
        renderers["md"] = handout.handout_markdown
    if "ipynb" in formats:
        try:
            from ..notebooks.handout import notebook_handout
        except ImportError:
            raise InputError("--format ipynb is not available in this version; use toml,md") from None
        renderers["ipynb"] = notebook_handout
    if "pdf" in formats:
        try:
            from ..render.pdf import handout_pdf
        except ImportError:
            raise InputError("--format pdf is not available in this version; use toml,md") from None
        renderers["pdf"] = handout_pdf
    if combined and "pdf" not in formats:
        raise InputError("--combined needs pdf among the --format values")
    return renderers


def _render_student(formats: tuple[str, ...], assignment: str, fam, v) -> tuple[list[tuple[str, str | bytes]], str]:
    """One student's handouts and worked solutions as (path under the output folder, content),
    and the student's entry of the key as :func:`_key_entry` writes it."""
    from ..render.solution import solution_markdown

    renderers = _renderers(list(formats), False)
    files: list[tuple[str, str | bytes]] = [
        (f"handouts/{v.student}.{ext}", render(v)) for ext, render in renderers.items()
    ]
    trace = v.trace()
    files.append((f"solutions/{v.student}.md", solution_markdown(trace, student=v.student, assignment=assignment)))
    if "pdf" in renderers:
        from ..render.pdf import solution_pdf

        files.append((f"solutions/{v.student}.pdf", solution_pdf(trace, student=v.student, assignment=assignment)))
    return files, _key_entry(v, fam, assignment)


def _generate(out_dir: Path, fam, students, secret: bytes, formats: list[str], assignment: str, combined: bool,
              jobs: int | None) -> list:
    """Draw every student's variant and write their handouts and worked solutions, the class
    PDF (``combined``) and the key; returns the variants, in roster order.

    The worker process that draws a variant also renders its files and its entry of the key
    (:func:`_render_student`: the trace is at hand, so there is no second solve and no second
    round of processes), and this process writes the files in roster order as they come in,
    while the workers go on drawing. Creating a file costs about half a millisecond of system
    time on the 2-core benchmark machine: one process creating them all overlaps that with the
    drawing, where workers that created files in the same folders at once spent nearly twice
    as much system time on it.

    Every file is first written under a temporary name beside its place (:class:`_Staged`) and
    moved there only once every student has a variant: a family that fails for some student
    leaves nothing behind, as when all variants were drawn before any file was written."""
    from ..files import write_atomic
    from ..generator import iter_variants

    render = partial(_render_student, tuple(formats), assignment, fam)
    variants, entries = [], []
    staged = _Staged()
    try:
        drawn = iter_variants(fam, students, secret, assignment, jobs, then=render)
        try:
            for v, (files, entry) in drawn:
                for path, content in files:
                    staged.write(out_dir / path, content)
                variants.append(v)
                entries.append(entry)
        finally:
            drawn.close()  # on an error: stop the workers now
        staged.publish()
        if combined:
            from ..render.pdf import class_pdf

            write_atomic(out_dir / "handouts" / "class.pdf", class_pdf(variants))
        write_atomic(out_dir / "key.json", _key_text(variants, entries, fam, assignment), private=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    finally:
        staged.discard()
    return variants


class _Staged:
    """Files written under a temporary name beside their place, to be moved there together
    (each move atomic, as :func:`grader.files.write_atomic` writes) or removed, with the
    folders made for them."""

    def __init__(self) -> None:
        #: temporary file by place, in the order written
        self.moves: dict[str, str] = {}
        #: folders that did not exist and were made for the files
        self.made: list[str] = []

    def write(self, path: Path, content: str | bytes) -> None:
        target = os.fspath(path)
        folder, name = os.path.split(target)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}-staged.tmp")
        data = content.encode("utf-8") if isinstance(content, str) else content
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileNotFoundError:
            missing = folder
            while missing and not os.path.isdir(missing):
                self.made.append(missing)
                missing = os.path.dirname(missing)
            os.makedirs(folder or ".", exist_ok=True)
            fd = os.open(tmp, flags, 0o666)
        self.moves[target] = tmp
        try:
            write_all(fd, data)
        finally:
            os.close(fd)

    def publish(self) -> None:
        """Move every file to its place, in the order written."""
        moves = self.moves
        for target in list(moves):
            os.replace(moves[target], target)
            del moves[target]
        self.made.clear()

    def discard(self) -> None:
        """Remove the temporary files not moved to their place, and the folders made for
        them when nothing was moved there."""
        for tmp in self.moves.values():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        self.moves.clear()
        for folder in sorted(self.made, key=len, reverse=True):  # a folder before its parent
            try:
                os.rmdir(folder)
            except OSError:
                pass  # not empty (a published file, another's), or gone
        self.made.clear()


#: the indentation of key.json (``json.dumps(..., indent=KEY_INDENT)``)
KEY_INDENT = 1
#: what stands for the students' table while the rest of the key is written
_STUDENTS = "\x00students\x00"


def _key_entry(v, fam, assignment: str) -> str:
    """The JSON text of ``v``'s value in the ``students`` table of the key, as
    ``json.dumps(key_document(...), indent=KEY_INDENT)`` writes it there (two levels deep: each
    line after the first indented by two more levels). Made where the variant's trace is at
    hand (the worker that drew it): the key needs no second solve of every variant, and its
    slow indented encoding is spread over the workers."""
    from ..key import key_document

    entry = key_document([v], fam, assignment)["students"][v.student]
    return json.dumps(entry, indent=KEY_INDENT).replace("\n", "\n" + " " * (2 * KEY_INDENT))


def _key_text(variants, entries: list[str], fam, assignment: str) -> str:
    """``json.dumps(key_document(variants, fam, assignment), indent=KEY_INDENT) + "\\n"`` from
    the students' entries of :func:`_key_entry` (in the order of ``variants``)."""
    from ..key import key_document

    doc = key_document([], fam, assignment)
    students: dict[str, str] = {}
    for v, entry in zip(variants, entries):
        students[v.student] = entry  # a student twice: the first place, the last entry (as a dict)
    doc["students"] = _STUDENTS
    text = json.dumps(doc, indent=KEY_INDENT)
    marker = json.dumps(_STUDENTS)
    if text.count(marker) != 1:  # the marker among the other fields: write the key in one piece
        return json.dumps(key_document(variants, fam, assignment), indent=KEY_INDENT) + "\n"
    if students:
        inner = "\n" + " " * (2 * KEY_INDENT)
        table = ("{" + inner + ("," + inner).join(f"{json.dumps(sid)}: {entry}" for sid, entry in students.items())
                 + "\n" + " " * KEY_INDENT + "}")
    else:
        table = "{}"
    return text.replace(marker, table) + "\n"
