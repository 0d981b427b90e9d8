"""Shared fixtures: a click runner, and instances built from plain dicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner

from grader.model import Instance, instance_from_dict


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def make_instance() -> Callable[[dict[str, Any]], Instance]:
    """Build a validated :class:`Instance` from the plain data of an instance file."""
    return instance_from_dict


@pytest.fixture
def instance_file(tmp_path: Path) -> Callable[..., Path]:
    """Write plain instance data to a file (JSON, which the loader accepts like TOML)."""

    def write(data: dict[str, Any], name: str = "instance.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return write
