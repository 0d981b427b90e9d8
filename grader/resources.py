"""Where the built-in problem families and the templates live.

In a checkout they are the top-level folders ``problems/`` and ``templates/``; an installed
wheel carries them inside the package as ``grader/problems`` and ``grader/templates`` (see
``[tool.setuptools]`` in pyproject.toml). The first that exists wins.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder of backprop-grader is missing; reinstall the package")


def templates_dir() -> Path:
    return resource_dir("templates")


def problems_dir() -> Path:
    return resource_dir("problems")
