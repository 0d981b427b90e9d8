"""The one jinja2 environment: templates from ``templates/``, undefined names are errors."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import jinja2

from ..resources import templates_dir
from . import numbers
from .inert import md_inline, printable, printable_line
from .math import latex_formula, latex_name
from .template_cache import bytecode_cache, describe


@cache
def environment() -> jinja2.Environment:
    # auto_reload=False: a template is read and compiled once per process; the templates are
    # the package's own files and do not change while it runs (with reloading on, every
    # get_template would stat the file again, which costs as much as rendering a short one)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # the compiled templates are kept between commands (grader.render.template_cache; an overlay
    # shares the cache, so one must not change the settings the compiled code depends on)
    env.bytecode_cache = bytecode_cache(describe(env))
    env.filters["num"] = numbers.fmt
    env.filters["toml"] = numbers.toml_value
    env.filters["tex"] = latex_name
    env.filters["printable"] = printable  # student text on a terminal (grader/render/inert.py)
    env.filters["md"] = md_inline  # student text in Markdown
    env.filters["line"] = printable_line  # student text in a line of grade's printed summary
    env.globals["latex_formula"] = latex_formula
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)


def render_chunks(name: str, **context: object) -> Iterator[str]:
    """:func:`render` as the template makes it, piece by piece (a page of 100,000 students'
    rows is written as it comes instead of held whole)."""
    return environment().get_template(name).generate(**context)
