"""``backprop generate``: a personal variant of a family for every student on a roster."""

from __future__ import annotations

import click


@click.command("generate")
@click.argument("family")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
@click.option("--roster", type=click.Path(dir_okay=False), default=None,
              help="CSV with a header row (id, student_id, 'Student ID', SID or 'SIS User ID'), or the "
                   "roster as Canvas, Gradescope or Moodle export it.")
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
              help="Processes to use (default: all cores); with --scheduler, tasks in flight on the cluster "
                   "(default: twice its threads).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Make the students' files on the workers of this Dask scheduler (needs Dask's "
                   "distributed here and this package on the workers; see the README); OUT stays on this "
                   "machine.")
@click.option("--checker", metavar="URL|PATH|REQUIREMENT", default=None,
              help="What the handouts tell students to install the checker from: the wheel's URL on your "
                   "course's site, a path, or a requirement such as backprop-grader==0.1.0 (only once you "
                   "know the package of that name is this one). Default: this package's wheel, written "
                   "into OUT/checker/ for you to hand out with the handouts.")
@click.option("--force", is_flag=True,
              help="Replace the handouts, solutions, key and checker already in OUT.")
@click.option("--add", is_flag=True,
              help="Late students: add the roster's students missing from OUT/key.json; everyone in it keeps "
                   "their variant.")
def command(family: str, out: str, roster: str | None, count: int | None, assignment: str, fmt: str | None,
            secret_file: str | None, problems: str | None, combined: bool, jobs: int | None, force: bool,
            add: bool, scheduler: str | None, checker: str | None) -> None:
    """Generate a personal variant of FAMILY for every student.

    Writes OUT/handouts/<student>.toml and .md (and .ipynb, .pdf), the instructor key
    OUT/key.json and worked solutions OUT/solutions/<student>.md (both readable by you only),
    and the checker's wheel OUT/checker/backprop_grader-<version>-py3-none-any.whl, to hand out
    with the handouts: every handout says to install it (or what --checker names).
    The same secret and roster always give the same files. An OUT that already holds a key
    is left alone unless you say --add (late students) or --force (replace it all).

    Example: the second command, run later, adds the students who joined late; the third
    hands out handouts that install the checker from the course's site.

    \b
        backprop generate 2-2-1-threshold --roster roster.csv --assignment hw3 --out hw3
        backprop generate 2-2-1-threshold --roster roster.csv --assignment hw3 --out hw3 --add
        backprop generate xor --count 30 --out hw4 --checker https://example.edu/nn/backprop_grader-0.1.0-py3-none-any.whl
    """
    from ..publish import generate
    from ..render.env import render

    if scheduler is not None:
        from ..cluster import require_distributed

        require_distributed()
    done, secret = generate(family, out, roster=roster, count=count, assignment=assignment, formats=fmt,
                            secret_file=secret_file, problems=problems, combined=combined, jobs=jobs,
                            force=force, add=add, scheduler=scheduler, checker=checker)
    if done.checker is not None and done.checker.warning:
        click.echo(done.checker.warning, err=True)
    click.echo(render("summary_generate.txt.j2", done=done, secret=secret), nl=False)
