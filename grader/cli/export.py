"""``backprop export``: question banks for Moodle and PrairieLearn."""

from __future__ import annotations

import click

from .common import echo, write_output

SECRET_HELP = ("The secret the variants are drawn with (created, owner-only, if missing). Default: "
               "$XDG_CONFIG_HOME/backprop/secret, else ~/.config/backprop/secret.")


@click.group("export")
def command() -> None:
    """Question banks of a family for the platforms where quizzes live.

    Example:

    \b
        backprop export moodle 2-2-1-threshold --count 50 -o hw3-bank.xml
        backprop export prairielearn 2-2-1-threshold --out pl-course/questions/backprop-221
    """


@command.command("moodle")
@click.argument("family")
@click.option("--count", type=click.IntRange(min=1), required=True, help="How many variants (questions).")
@click.option("-o", "--out", default=None, help="The XML file to write (default: standard output).")
@click.option("--assignment", default="bank", show_default=True, help="Assignment id (part of every seed).")
@click.option("--secret-file", type=click.Path(dir_okay=False), default=None, help=SECRET_HELP)
@click.option("--problems", type=click.Path(file_okay=False), default=None,
              help="A folder of your own family TOML files.")
def moodle(family: str, count: int, out: str | None, assignment: str, secret_file: str | None,
           problems: str | None) -> None:
    """Moodle XML: one Cloze question per variant of FAMILY, each answer a NUMERICAL part with
    the grader's tolerance, the net drawn inline and the worked solution as general feedback.
    Import it into the question bank, then add a "random question" from its category.

    Example:

        backprop export moodle 2-2-1-threshold --count 50 -o hw3-bank.xml
    """
    from ..family import load_family
    from ..generator import generate_variants
    from ..platforms.moodle import moodle_quiz
    from ..roster import default_secret_path, load_or_create_secret, numbered_roster

    fam = load_family(family, problems)
    secret = load_or_create_secret(secret_file or default_secret_path())
    variants = generate_variants(fam, numbered_roster(count), secret, assignment)
    text = moodle_quiz(fam, variants, assignment)
    write_output(text, out)
    if out not in (None, "-"):
        echo(f"Wrote {count} Cloze questions of {fam.id} to {out}.")


@command.command("prairielearn")
@click.argument("family")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="The question folder to write.")
@click.option("--problems", type=click.Path(file_okay=False), default=None,
              help="A folder of your own family TOML files.")
def prairielearn(family: str, out: str, problems: str | None) -> None:
    """A PrairieLearn question folder (info.json, question.html, server.py) for FAMILY: generate
    draws a variant from PrairieLearn's variant seed, grade scores every part with this
    package's tolerance, carried-forward credit and misconception messages.

    Example:

    \b
        backprop export prairielearn 2-2-1-threshold --out pl-course/questions/backprop-221
    """
    from ..family import load_family
    from ..platforms.prairielearn import write_question

    fam = load_family(family, problems)
    echo(write_question(fam, out))
