"""``backprop solve``: the worked solution of one instance."""

from __future__ import annotations

import os
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
@click.option("--secret", "secret_file", type=click.Path(dir_okay=False), default=None,
              help="A student's signed handout: the instructor's secret that generated it "
                   "[default: $XDG_CONFIG_HOME/backprop/secret, when it is there].")
@click.option("--key", "key_file", type=click.Path(dir_okay=False), default=None,
              help="A student's signed handout: the key.json of its assignment, instead of the secret.")
def command(instance: str, fmt: str, output: str | None, secret_file: str | None,
            key_file: str | None) -> None:
    """Solve INSTANCE step by step: forward pass, deltas, weight updates.

    INSTANCE is a TOML file (or JSON with the same structure, a handout file with an
    [instance] table, or a notebook handout, whose problem is in its metadata). Every
    quantity is shown as its formula, the formula with the numbers put in, and the result.
    A student's signed handout is solved only for the instructor: with the secret that
    generated it (yours by default) or with --key.

    Example:

    \b
        backprop solve problem.toml --format md -o solution.md
        backprop solve hw3/handouts/alice.toml --key hw3/key.json
    """
    from ..reveal import require_instructor
    from ..solver import solve

    problem, meta = _load(instance)
    require_instructor(instance, meta, problem, what="its worked solution", secret_file=secret_file,
                       key_file=key_file)
    trace = solve(problem)
    if fmt == "json":
        from ..render.solution import solution_json

        write_output(solution_json(trace), output)
    elif fmt == "md":
        _write_markdown(trace, output)
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


def _write_markdown(trace: Any, output: str | None) -> None:
    """The worked solution in Markdown with the drawing of the net: into ``output`` with the
    drawing beside it (``solution.md`` and ``solution.svg``), or on standard output with the
    drawing inline."""
    from ..render.handout import picture_name
    from ..render.solution import solution_markdown
    from ..render.svg import net_svg

    svg = net_svg(trace.instance)
    if output is None or output == "-":
        write_output(solution_markdown(trace, svg=svg), output)
        return
    picture = picture_name(os.path.basename(output))
    write_output(svg, os.path.join(os.path.dirname(output), picture))
    write_output(solution_markdown(trace, picture=picture), output)


def _load(path: str) -> tuple[Any, Any]:
    """The instance of an instance or handout file, or of a notebook handout's metadata, and
    the handout's metadata (``[meta]``, ``metadata.backprop``; None for an instance file)."""
    from ..errors import BackpropError
    from ..validation import instance_from_dict

    if not path.lower().endswith(".ipynb"):
        from ..files import read_data

        data = read_data(path)
        if "instance" not in data:
            return instance_from_dict(data, path), None
        meta = data.get("meta")
        return instance_from_dict(data["instance"], path, table="instance"), meta
    from ..notebooks.read import load_notebook

    nb = load_notebook(path)
    raw = nb.meta.get("instance") if nb.meta is not None else None
    if not isinstance(raw, dict):
        raise BackpropError(f"{path}: has no problem in its metadata (metadata.backprop.instance); "
                            "solve the instance file or the .toml handout instead")
    return instance_from_dict(raw, f"{path}: metadata.backprop.instance"), nb.meta
