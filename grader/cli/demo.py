"""``backprop demo``: generate, simulate submissions, grade: the whole loop in one command."""

from __future__ import annotations

import click

from .common import require_sandbox


@click.command("demo")
@click.option("--out", default="backprop-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo's handouts, submissions and grading.")
@click.option("--execute", is_flag=True, help="Also run the notebooks in the sandbox (slower).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Parallel workers (default: all cores).")
def command(out: str, execute: bool, jobs: int | None) -> None:
    """Run the whole loop on built-in defaults.

    Generates notebooks for 8 students, writes simulated submissions (right, hand-rounded, two
    misconceptions, computed in code, corrupt, missing, tampered), grades them and prints
    where everything is.

    Example:

        backprop demo --out /tmp/demo
    """
    from ..batch.demo_class import run_demo
    from ..render.env import render

    require_sandbox(execute, "bwrap")
    files, outcome = run_demo(out, jobs=jobs, execute=execute)
    rows = {r.student: r for r in outcome.rows}
    click.echo(render("summary_demo.txt.j2", files=files, rows=rows, summary=outcome.summary), nl=False)
