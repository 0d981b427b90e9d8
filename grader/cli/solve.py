"""``backprop solve``: the worked solution of one instance."""

from __future__ import annotations

from typing import Any

import click

from .common import InputError, write_output

FORMATS = ("text", "md", "json", "pdf")


@click.command("solve")
@click.argument("instance")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for the terminal, md for Markdown, json for scripts, pdf for print.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
def command(instance: str, fmt: str, output: str | None) -> None:
    """Solve INSTANCE step by step: forward pass, deltas, weight updates.

    INSTANCE is a TOML file (or JSON with the same structure, a handout file with an
    [instance] table, or a notebook handout, whose problem is in its metadata). Every
    quantity is shown as its formula, the formula with the numbers put in, and the result.

    Example:

        backprop solve problem.toml --format md -o solution.md
    """
    from ..solver import solve

    trace = solve(_load(instance))
    if fmt == "json":
        from ..render.solution import solution_json

        write_output(solution_json(trace), output)
    elif fmt == "md":
        from ..render.solution import solution_markdown

        write_output(solution_markdown(trace), output)
    elif fmt == "text":
        from ..render.solution import solution_text

        write_output(solution_text(trace), output)
    else:
        try:
            from ..render.pdf import solution_pdf
        except ImportError:
            raise InputError("--format pdf needs the typst package (pip install typst); "
                             "use text, md or json") from None
        if output is None:
            raise InputError("--format pdf needs -o FILE.pdf")
        write_output(solution_pdf(trace), output)


def _load(path: str) -> Any:
    """The instance of an instance or handout file, or of a notebook handout's metadata."""
    if not path.lower().endswith(".ipynb"):
        from ..files import load_instance

        return load_instance(path)
    from ..errors import BackpropError
    from ..model import instance_from_dict
    from ..notebooks.read import load_notebook

    nb = load_notebook(path)
    raw = nb.meta.get("instance") if nb.meta is not None else None
    if not isinstance(raw, dict):
        raise BackpropError(f"{path}: has no problem in its metadata (metadata.backprop.instance); "
                            "solve the instance file or the .toml handout instead")
    return instance_from_dict(raw, f"{path}: metadata.backprop.instance")
