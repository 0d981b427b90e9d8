"""``backprop generate``: a personal variant of a family for every student on a roster."""

from __future__ import annotations

import click

from .common import InputError


@click.command("generate")
@click.argument("family")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--roster", type=click.Path(dir_okay=False), default=None,
              help="CSV with a header row; the id column is id, student_id, 'SIS User ID' or ID.")
@click.option("--count", type=int, default=None,
              help="Instead of a roster: N students student01, student02, ...")
@click.option("--assignment", default="hw", show_default=True, help="Assignment id (part of every seed).")
@click.option("--format", "fmt", default=None,
              help="Comma-separated handout formats: toml, md, ipynb, pdf. Default: toml,md (with --add: "
                   "the formats already there).")
@click.option("--secret-file", type=click.Path(dir_okay=False), default=None,
              help="The instructor's secret (created, owner-only, if missing). "
                   "Default: $XDG_CONFIG_HOME/backprop/secret, else ~/.config/backprop/secret.")
@click.option("--problems", type=click.Path(file_okay=False), default=None,
              help="A folder of your own family TOML files.")
@click.option("--combined", is_flag=True, help="With pdf: also one PDF of the whole class for printing.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes to use (default: all cores).")
@click.option("--force", is_flag=True, help="Replace the handouts, solutions and key already in OUT.")
@click.option("--add", is_flag=True,
              help="Late students: add the roster's students missing from OUT/key.json; everyone in it keeps "
                   "their variant.")
def command(family: str, out: str, roster: str | None, count: int | None, assignment: str, fmt: str | None,
            secret_file: str | None, problems: str | None, combined: bool, jobs: int | None, force: bool,
            add: bool) -> None:
    """Generate a personal variant of FAMILY for every student.

    Writes OUT/handouts/<student>.toml and .md (and .ipynb, .pdf), the instructor key
    OUT/key.json and worked solutions OUT/solutions/<student>.md (both readable by you only).
    The same secret and roster always give the same files. An OUT that already holds a key
    is left alone unless you say --add (late students) or --force (replace it all).

    Example: the second command, run later, adds the students who joined late.

    \b
        backprop generate 2-2-1-threshold --roster roster.csv --assignment hw3 --out hw3
        backprop generate 2-2-1-threshold --roster roster.csv --assignment hw3 --out hw3 --add
    """
    from ..families import load_family
    from ..publish import open_target, parse_formats, publish
    from ..render.env import render
    from ..roster import default_secret_path, load_or_create_secret, numbered_roster, read_roster

    formats = parse_formats(fmt) if fmt is not None else None
    if (roster is None) == (count is None):
        raise InputError("give exactly one of --roster CSV or --count N")
    if force and add:
        raise InputError("give at most one of --force (replace it all) and --add (late students)")
    if not assignment.strip() or any(c in assignment for c in "/\\\n"):
        raise InputError(f"--assignment: {assignment!r} is not a usable id; use letters, digits, - or _")
    target = open_target(out, "replace" if force else "add" if add else "new")
    fam = load_family(family, problems)
    students = read_roster(roster) if roster is not None else numbered_roster(count or 0)
    secret_path = secret_file or default_secret_path()
    done = publish(target, fam, students, load_or_create_secret(secret_path), assignment=assignment,
                   formats=formats, combined=combined, jobs=jobs)
    click.echo(render("summary_generate.txt.j2", done=done, secret=secret_path), nl=False)
