"""``backprop grade``: batch grading of notebooks and answer files against the instructor key."""

from __future__ import annotations

import sys

import click

from .common import SANDBOXES, InputError, echo, require_sandbox

FORMATS = ("md", "pdf")


@click.command("grade")
@click.argument("key", type=click.Path(dir_okay=False))
@click.argument("submissions", nargs=-1, required=True)
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for the gradebook, results and feedback.")
@click.option("--format", "fmt", default="md", show_default=True, help="Feedback formats: md, or md,pdf.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Parallel workers (default: all cores); with --scheduler, tasks in flight on the cluster "
                   "(default: twice its threads).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
              help="Grade on the workers of this Dask scheduler (needs Dask's distributed here and this "
                   "package on the workers; see the README); OUT and the journal stay on this machine.")
@click.option("--execute", is_flag=True, help="Run notebooks in a sandbox and read the values they compute.")
@click.option("--sandbox", type=click.Choice(SANDBOXES), default="bwrap", show_default=True,
              help="With --execute: bwrap isolates each notebook with bubblewrap; none accepts weaker "
                   "in-process limits where bubblewrap is missing (not isolated: see the README).")
@click.option("--force", is_flag=True,
              help="Regrade every submission, also those unchanged since the last run.")
@click.option("--id-from",
              type=click.Choice(["name", "folder", "canvas", "moodle", "gradescope", "metadata"]),
              default="name", show_default=True,
              help="Whose a file is: its file name up to the first dot, its folder's name (LMS exports), "
                   "the Canvas user id in the names of Canvas's Download Submissions (with --roster: the "
                   "course's gradebook export), the participant id in the folders of Moodle's Download all "
                   "submissions (with --roster: the assignment's grading worksheet), the submitter of each "
                   "submission_<number> folder of Gradescope's Export Submissions (by the export's own "
                   "submission_metadata.yml), or (trusting the "
                   "student's file) the student its metadata names. The metadata must agree with the name, "
                   "folder or id, else the row is 'mismatch'.")
@click.option("--ecf-credit", type=click.FloatRange(0, 1), default=None,
              help="Credit for carried-forward answers (default: the key's).")
@click.option("--wait", is_flag=True,
              help="If another backprop grade is writing into OUT, wait for it instead of stopping.")
@click.option("--export", "exports", multiple=True, metavar="PLATFORM[=PATH]",
              help="Also write the gradebook import file of canvas, gradescope or moodle (default path: "
                   "OUT/canvas-import.csv, OUT/gradescope-scores.csv, OUT/moodle-grades.csv). Repeatable.")
@click.option("--roster", type=click.Path(dir_okay=False), multiple=True,
              callback=lambda ctx, param, value: _one_roster(value),
              help="With --export: the roster as the platform exports it (the export copies its id columns); "
                   "with --id-from canvas: Canvas's gradebook export; with --id-from moodle: the "
                   "assignment's grading worksheet (--export then lists the key's students).")
@click.option("--missing-zero", is_flag=True,
              help="With --export: give 0 to students with no gradable submission (default: no grade).")
def command(key: str, submissions: tuple[str, ...], out: str, fmt: str, jobs: int | None, execute: bool,
            sandbox: str, force: bool, id_from: str, ecf_credit: float | None, wait: bool,
            exports: tuple[str, ...], roster: str | None, missing_zero: bool, scheduler: str | None) -> None:
    """Grade SUBMISSIONS (files, or folders searched for .ipynb and .toml) against KEY.

    KEY is the key.json written by backprop generate; every submission is graded against the
    key's problem for its student, never the file's own. Writes OUT/gradebook.csv (a row per
    student in the key), OUT/results/<student>.json and OUT/feedback/<student>.md, the class
    summary as OUT/summary.md and OUT/summary.json and the report page OUT/report.html (one
    self-contained file with charts: open it in a browser), and prints the summary. A second
    run regrades only files that changed. One run at a time writes into
    OUT: a second one stops with an error naming the first (or, with --wait, waits for it).

    Example:

    \b
        backprop grade hw1/key.json submissions/ --out graded --jobs 4
        backprop grade hw1/key.json submissions/ --out graded --export canvas --roster canvas-grades.csv
        backprop grade hw1/key.json submissions/ --out graded --scheduler tcp://10.0.0.5:8786
    """
    from .. import parallel
    from ..batch import snapshot

    if scheduler is not None:
        from ..cluster import require_distributed

        require_distributed()
    # a fork server, if the workers need one, imports while this process does too (not for a
    # rerun that may need no worker; none while this process may fork them itself)
    if scheduler is None and parallel.workers(jobs) > 1 and not (snapshot.exists(out) and not force):
        parallel.start(parallel.context(parallel.BATCH_PRELOAD, direct=True))
    from ..batch.run import Options, grade_batch

    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError(f"--format: unknown format {bad[0] if bad else fmt!r}; use md or md,pdf")
    options = Options(execute=execute, sandbox=sandbox, id_from=id_from, ecf_credit=ecf_credit,
                      pdf="pdf" in formats, force=force, ids=_platform_ids(id_from, roster))
    tty = sys.stderr.isatty()
    require_sandbox(execute, sandbox, here=scheduler is None)  # (with --scheduler: on the workers)
    # (Canvas's gradebook export is also the roster of --export; Moodle's grading worksheet is not one)
    listed = None if id_from == "moodle" else roster
    specs = _export_specs(exports, listed if id_from != "canvas" or exports else None, missing_zero, out)
    if tty:
        from ..batch.run import find_submissions

        total = len(find_submissions(submissions))
        with click.progressbar(length=total, label="grading", file=sys.stderr) as bar:
            outcome = grade_batch(key, submissions, out, options=options, jobs=jobs, progress=bar.update,
                                  wait=wait, report=True, scheduler=scheduler)
    else:
        outcome = grade_batch(key, submissions, out, options=options, jobs=jobs, wait=wait, report=True,
                              scheduler=scheduler)
    echo(outcome.summary)
    if specs:
        from ..platforms.exports import write_exports

        echo(write_exports(specs, outcome.rows, key, listed, missing_zero=missing_zero))


def _one_roster(rosters: tuple[str, ...]) -> str | None:
    """The one --roster (click keeps the last of several without a word: an export then copied
    the ids of another platform's roster)."""
    if len(rosters) > 1:
        raise InputError(f"--roster given {len(rosters)} times ({', '.join(rosters)}); a run takes one: "
                         "export to each platform with its own roster in a run of its own (files already "
                         "graded are not graded again)")
    return rosters[0] if rosters else None


def _platform_ids(id_from: str, roster: str | None) -> object:
    """With ``--id-from canvas``, the students of the Canvas user ids, from ``--roster``; with
    ``--id-from moodle``, of the Moodle participant ids."""
    if id_from == "moodle":
        if roster is None:
            raise InputError("--id-from moodle needs --roster: the assignment's grading worksheet (View all "
                             "submissions > Download grading worksheet), whose Identifier column maps the "
                             "participant id in each downloaded folder's name to the student")
        from ..batch.moodle_names import read_worksheet
        from ..files import read_bytes

        return read_worksheet(read_bytes(roster), roster)
    if id_from != "canvas":
        return None
    if roster is None:
        raise InputError("--id-from canvas needs --roster: Canvas's gradebook export (Grades > Export), "
                         "whose ID column maps the user id in each downloaded file's name to the student")
    from ..batch.canvas_names import canvas_ids
    from ..roster import read_platform_roster

    return canvas_ids(read_platform_roster(roster), roster)


def _export_specs(exports: tuple[str, ...], roster: str | None, missing_zero: bool,
                  out: str) -> list[tuple[str, str]]:
    """The (platform, path) of each --export, checked (and the roster read) before grading."""
    if not exports:
        if roster is not None or missing_zero:
            raise InputError("--roster and --missing-zero apply only with --export")
        return []
    from ..platforms.exports import parse_spec
    from ..roster import read_platform_roster

    if roster is not None:
        read_platform_roster(roster)
    return [parse_spec(spec, out) for spec in exports]
