"""``backprop generate``: a personal variant of a family for every student on a roster."""

from __future__ import annotations

import json
from pathlib import Path

import click

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
    from ..generator import generate_variants
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
        variants = generate_variants(fam, students, secret, assignment, jobs)
        _write_all(out_dir, variants, formats, fam, assignment, combined, jobs)
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


def _write_student(job: tuple[Path, tuple[str, ...], str, object]) -> None:
    """Write one student's handouts and worked solutions (run in a worker process)."""
    from ..files import write_atomic
    from ..render.solution import solution_markdown

    out_dir, formats, assignment, v = job
    renderers = _renderers(list(formats), False)
    for ext, render in renderers.items():
        write_atomic(out_dir / "handouts" / f"{v.student}.{ext}", render(v))
    trace = v.trace()
    write_atomic(out_dir / "solutions" / f"{v.student}.md",
                 solution_markdown(trace, student=v.student, assignment=assignment))
    if "pdf" in renderers:
        from ..render.pdf import solution_pdf

        write_atomic(out_dir / "solutions" / f"{v.student}.pdf",
                     solution_pdf(trace, student=v.student, assignment=assignment))


def _write_all(out_dir: Path, variants, formats: list[str], fam, assignment: str, combined: bool,
               jobs: int | None) -> None:
    from ..files import write_atomic
    from ..key import key_document
    from ..parallel import pmap

    try:
        pmap(_write_student, [(out_dir, tuple(formats), assignment, v) for v in variants], jobs)
        if combined:
            from ..render.pdf import class_pdf

            write_atomic(out_dir / "handouts" / "class.pdf", class_pdf(variants))
        write_atomic(out_dir / "key.json", json.dumps(key_document(variants, fam, assignment), indent=1) + "\n",
                     private=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
