"""The compiled templates kept between commands (grader.render.template_cache): the same text as
without the cache, an edited template compiled again, and nothing that fails a command."""

from __future__ import annotations

import os
import stat

import jinja2
import pytest

from grader.render import template_cache as tc
from grader.render.env import environment


def _env(templates, cache) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), trim_blocks=True)
    env.bytecode_cache = cache
    return env


@pytest.fixture
def templates(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text("{% for x in xs %}{{ x }};{% endfor %}\n")
    return folder


def _no_compiling(env, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("compiled although the cache holds it")

    monkeypatch.setattr(env, "compile", refuse)


def test_a_template_is_compiled_once_and_read_from_the_cache_after(tmp_path, templates, monkeypatch):
    cache = tc.TemplateCache(str(tmp_path / "cache"))
    os.makedirs(cache.directory)
    assert _env(templates, cache).get_template("t.j2").render(xs=[1, 2]) == "1;2;"
    assert len(os.listdir(cache.directory)) == 1
    again = _env(templates, cache)
    _no_compiling(again, monkeypatch)
    assert again.get_template("t.j2").render(xs=[3]) == "3;"


def test_an_edited_template_is_compiled_again(tmp_path, templates):
    cache = tc.TemplateCache(str(tmp_path / "cache"))
    os.makedirs(cache.directory)
    assert _env(templates, cache).get_template("t.j2").render(xs=[1]) == "1;"
    (templates / "t.j2").write_text("{% for x in xs %}<{{ x }}>{% endfor %}\n")
    assert _env(templates, cache).get_template("t.j2").render(xs=[1]) == "<1>"


def test_a_damaged_cache_file_is_compiled_again_and_mended(tmp_path, templates, monkeypatch):
    cache = tc.TemplateCache(str(tmp_path / "cache"))
    os.makedirs(cache.directory)
    _env(templates, cache).get_template("t.j2")
    (name,) = os.listdir(cache.directory)
    path = os.path.join(cache.directory, name)
    with open(path, "rb") as fh:
        good = fh.read()
    for damage in (good[:len(good) // 2], good[:40] + b"\xff" * 40, b"", b"j2" + b"\x00" * 100):
        with open(path, "wb") as fh:
            fh.write(damage)
        assert _env(templates, cache).get_template("t.j2").render(xs=[5]) == "5;"
    again = _env(templates, cache)
    _no_compiling(again, monkeypatch)
    assert again.get_template("t.j2").render(xs=[6]) == "6;"


def test_a_cache_that_cannot_be_written_fails_nothing(tmp_path, templates, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(tc.SETTING, str(blocker / "cache"))
    assert tc.bytecode_cache("settings") is None  # (no folder can be made under a file)
    cache = tc.TemplateCache(str(blocker / "cache"))  # (and one whose folder vanished)
    assert _env(templates, cache).get_template("t.j2").render(xs=[1]) == "1;"


def test_a_folder_others_may_write_into_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setenv(tc.SETTING, str(tmp_path / "shared"))
    cache = tc.bytecode_cache("settings")
    assert cache is not None and stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700
    os.chmod(cache.directory, 0o777)
    assert tc.bytecode_cache("settings") is None
    os.chmod(cache.directory, 0o700)
    assert tc.bytecode_cache("settings") is not None


def test_no_user_ids_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(tc.SETTING, str(tmp_path))
    monkeypatch.delattr(os, "getuid")  # (Windows)
    assert tc.bytecode_cache("settings") is None


def test_off_and_no_home_mean_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(tc.SETTING, "off")
    assert tc.bytecode_cache("settings") is None
    monkeypatch.delenv(tc.SETTING)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # (not a place to trust)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", "")
    assert tc.bytecode_cache("settings") is None
    assert os.listdir(tmp_path) == []


def test_other_settings_or_versions_use_another_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(tc.SETTING, str(tmp_path))
    plain = jinja2.Environment()
    trimmed = jinja2.Environment(trim_blocks=True)
    a = tc.bytecode_cache(tc.describe(plain)).directory
    b = tc.bytecode_cache(tc.describe(trimmed)).directory
    assert a != b and tc.bytecode_cache(tc.describe(jinja2.Environment())).directory == a
    monkeypatch.setattr(jinja2, "__version__", "0.0")
    assert tc.bytecode_cache(tc.describe(plain)).directory not in (a, b)


def test_every_template_of_the_grader_is_read_back_as_compiled(tmp_path, monkeypatch):
    """Each template of the package, compiled into the cache, then read from it: the same code."""
    from grader.render.pdf import _env as typst_env  # (the typst templates' filters)

    monkeypatch.setenv(tc.SETTING, str(tmp_path))
    names = [n for n in environment().list_templates() if n.endswith(".j2")]
    for name in names:
        base = typst_env() if name.endswith(".typ.j2") else environment()
        code = []
        for _ in range(2):
            env = base.overlay()
            env.bytecode_cache = tc.bytecode_cache(tc.describe(env))
            if code:  # (the second time, from the cache)
                _no_compiling(env, monkeypatch)
            code.append(env.get_template(name).root_render_func.__code__.co_code)
        assert code[0] == code[1], name
    (folder,) = os.listdir(tmp_path)
    assert len(os.listdir(tmp_path / folder)) == len(names)
