"""Shared fixtures: a click runner, instances built from plain dicts, and a private per-user
configuration folder for every test (nothing is written to the real home)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.model import Instance
from grader.validation import instance_from_dict


@pytest.fixture(autouse=True)
def config_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG_CONFIG_HOME in a fresh temporary folder: the default secret
    (``$XDG_CONFIG_HOME/backprop/secret``) of every test is its own, never the user's."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


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
