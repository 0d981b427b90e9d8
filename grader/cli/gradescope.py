"""``backprop gradescope``: a Gradescope autograder (zip) for a key."""

from __future__ import annotations

import click

from .common import SANDBOXES, echo

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@click.command("gradescope")
@click.argument("key", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The zip to write.")
@click.option("--execute", is_flag=True,
              help="Run notebooks (in the sandbox) to read the values they compute.")
@click.option("--sandbox", type=click.Choice(SANDBOXES), default="bwrap", show_default=True,
              help="With --execute: bwrap (setup.sh installs bubblewrap) or none (in-process limits only).")
@click.option("--visibility", type=click.Choice(VISIBILITIES), default="visible", show_default=True,
              help="When students see their results (Gradescope's visibility).")
@click.option("--stdout-visibility", type=click.Choice(VISIBILITIES), default="hidden", show_default=True,
              help="When students see the autograder's own output.")
@click.option("--ecf-credit", type=click.FloatRange(0, 1), default=None,
              help="Credit for carried-forward answers (default: the key's).")
@click.option("--wheel", type=click.Path(dir_okay=False), default=None,
              help="The backprop-grader wheel to bundle (default: built from this installation).")
def command(key: str, out: str, execute: bool, sandbox: str, visibility: str, stdout_visibility: str,
            ecf_credit: float | None, wheel: str | None) -> None:
    """Build a Gradescope autograder for KEY: setup.sh, run_autograder, this package's wheel and
    the key, at the root of the zip OUT.

    Each submission is graded for the student Gradescope names (email or SID against the key's
    roster), against that student's problem, and gets results.json with one test per asked
    quantity and the Markdown feedback; a failure is score 0 with a message.

    Example:

    \b
        backprop gradescope hw3/key.json --out hw3-autograder.zip --visibility after_published
    """
    from ..platforms.gradescope import Settings, build_autograder

    echo(build_autograder(key, out, Settings(execute, sandbox, visibility, stdout_visibility, ecf_credit),
                          wheel=wheel))
