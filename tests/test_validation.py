"""Does every mistake in an instance file give one `Error:` line that names the file, the key
and the fix, with exit status 2 and no traceback?

The files are built in code (``tmp_path``) from one valid net, changed in one place per case;
each case runs through the real command line, ``backprop solve FILE``.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.cli import cli
from grader.errors import BackpropError
from grader.files import load_instance
from grader.validation import instance_from_dict

# --------------------------------------------------------------------------- building files

#: A valid 2-2-1 net with 6.034 thresholds.
BASE: dict[str, Any] = {
    "alpha": 0.5,
    "bias": "threshold",
    "inputs": ["x1", "x2"],
    "layers": [["A", "B"], ["C"]],
    "weights": {
        "x1_A": 1.0, "x2_A": -0.5, "bias_A": 0.5,
        "x1_B": 0.25, "x2_B": 1.0, "bias_B": -0.5,
        "A_C": 1.0, "B_C": -1.0, "bias_C": 0.5,
    },
    "samples": [{"inputs": {"x1": 1.0, "x2": 0.0}, "desired": {"C": 1.0}}],
}


def toml_value(value: Any) -> str:
    """A value in TOML's inline syntax (enough for instance files)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (int, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def to_toml(data: dict[str, Any]) -> str:
    """The instance as a TOML file, written the way the DESIGN example writes it."""
    lines = []
    samples = data.get("samples")
    samples_are_tables = (isinstance(samples, list) and bool(samples)
                          and all(isinstance(s, dict) for s in samples))
    for key, value in data.items():
        if key not in ("weights", "samples") or (key == "samples" and not samples_are_tables):
            lines.append(f"{json.dumps(key)} = {toml_value(value)}")
    if "weights" in data:
        if isinstance(data["weights"], dict):
            lines.append("[weights]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in data["weights"].items()]
        else:
            lines.append(f"weights = {toml_value(data['weights'])}")
    if samples_are_tables:
        for sample in samples:
            lines.append("[[samples]]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in sample.items()]
    return "\n".join(lines) + "\n"


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def setting(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data[key] = value
    return change


def removing(key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del data[key]
    return change


def weight(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["weights"][key] = value
    return change


def no_weight(*keys: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for key in keys:
            del data["weights"][key]
    return change


def sample(part: str, value: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["samples"][0][part] = value
    return change


def both(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for c in changes:
            c(data)
    return change


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def solve(runner: CliRunner, path: Path):
    return runner.invoke(cli, ["solve", str(path)])


def assert_error(result, message: str) -> None:
    """Exit status 2, exactly one line ``Error: <message>``, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.output == f"Error: {message}\n"
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- validation errors

THRESHOLD_NO_BIAS = both(setting("bias", "none"), no_weight("bias_A", "bias_B", "bias_C"))

#: (id, change to the valid net, the message after "<file>: ")
CASES = [
    # -- alpha
    ("alpha-missing", removing("alpha"), "alpha: missing: add the learning rate, e.g. alpha = 0.5"),
    ("alpha-string", setting("alpha", "fast"),
     "alpha: must be a number (the learning rate, e.g. 0.5), not the string 'fast'"),
    ("alpha-quoted-number", setting("alpha", "0.5"),
     "alpha: must be a number (the learning rate, e.g. 0.5), not the string '0.5': remove the quotes"),
    ("alpha-boolean", setting("alpha", True),
     "alpha: must be a number (the learning rate, e.g. 0.5), not the boolean true"),
    ("alpha-nan", setting("alpha", math.nan),
     "alpha: must be a finite number, not nan: give an ordinary number such as 0.5"),
    ("alpha-inf", setting("alpha", math.inf),
     "alpha: must be a finite number, not inf: give an ordinary number such as 0.5"),
    ("alpha-negative", setting("alpha", -0.5),
     "alpha: must be positive (the learning rate), not -0.5"),
    ("alpha-zero", setting("alpha", 0), "alpha: must be positive (the learning rate), not 0"),
    ("alpha-huge-integer", setting("alpha", 10**400),
     "alpha: must be a finite number, not a number too large for a float: "
     "give an ordinary number such as 0.5"),
    # -- weights: values
    ("weight-nan", weight("x1_A", math.nan),
     "weights.x1_A: must be a finite number, not nan: give an ordinary number such as 0.5"),
    ("weight-minus-inf", weight("A_C", -math.inf),
     "weights.A_C: must be a finite number, not -inf: give an ordinary number such as 0.5"),
    ("weight-string", weight("x1_A", "one"), "weights.x1_A: must be a number, not the string 'one'"),
    ("weight-quoted-number", weight("x1_A", "1.5"),
     "weights.x1_A: must be a number, not the string '1.5': remove the quotes"),
    ("weight-boolean", weight("x2_B", False), "weights.x2_B: must be a number, not the boolean false"),
    ("weight-list", weight("x2_B", [1.0]), "weights.x2_B: must be a number, not a list"),
    ("weights-not-table", setting("weights", [1.0, 2.0]),
     "weights: must be a table of F_N = number, not a list"),
    ("weights-missing", removing("weights"),
     "weights: missing: add a [weights] table with one key F_N per connection, e.g. x1_A = 0.5"),
    # -- weights: keys
    ("weight-unknown-source", weight("x3_A", 1.0),
     "weights.x3_A: unknown source 'x3'; the sources are x1, x2, A, B, C, bias"),
    ("weight-source-typo", weight("X1_A", 1.0),
     "weights.X1_A: unknown source 'X1' (did you mean 'x1'?); the sources are x1, x2, A, B, C, bias"),
    ("weight-unknown-target", weight("x1_D", 1.0),
     "weights.x1_D: unknown neuron 'D'; the neurons are A, B, C"),
    ("weight-target-typo", weight("A_c", 1.0),
     "weights.A_c: unknown neuron 'c' (did you mean 'C'?); the neurons are A, B, C"),
    ("weight-key-no-underscore", weight("x1A", 1.0),
     "weights.x1A: is not a connection key: write it as SOURCE_TARGET, e.g. x1_A or bias_C"),
    ("weight-key-three-parts", weight("x1_A_C", 1.0),
     "weights.x1_A_C: is not a connection key: write it as SOURCE_TARGET, e.g. x1_A or bias_C"),
    ("weight-key-empty-part", weight("_C", 1.0),
     "weights._C: is not a connection key: write it as SOURCE_TARGET, e.g. x1_A or bias_C"),
    ("weight-backward", weight("C_A", 1.0),
     "weights.C_A: the connection C -> A runs backward; connections must run from an input or an "
     "earlier layer to a later layer"),
    ("weight-within-layer", weight("A_B", 1.0),
     "weights.A_B: the connection A -> B runs within a layer; connections must run from an input or "
     "an earlier layer to a later layer"),
    ("weight-into-input", weight("A_x1", 1.0),
     "weights.A_x1: unknown neuron 'x1'; the neurons are A, B, C"),
    ("weight-self-loop", weight("C_C", 1.0),
     "weights.C_C: the connection C -> C runs within a layer; connections must run from an input or "
     "an earlier layer to a later layer"),
    ("bias-weight-without-bias", both(setting("bias", "none"), no_weight("bias_A", "bias_B")),
     "weights.bias_C: is a bias weight but bias = \"none\": set bias = \"threshold\" or \"bias\", "
     "or remove the weight"),
    # -- topology
    ("no-incoming-hidden", no_weight("x1_B", "x2_B", "bias_B"),
     "weights: neuron B has no incoming connection: add a weight such as x1_B"),
    ("no-incoming-final", no_weight("A_C", "B_C", "bias_C"),
     "weights: neuron C has no incoming connection: add a weight such as A_C"),
    ("hidden-feeds-nothing", no_weight("B_C"),
     "weights: neuron B is not in the final layer but feeds nothing: add a weight B_<later neuron> "
     "or move B to the final layer"),
    # -- bias kind
    ("bias-kind-unknown", setting("bias", "sigmoid"),
     "bias: must be \"none\", \"threshold\" (constant input -1) or \"bias\" (constant input +1), "
     "not the string 'sigmoid'"),
    ("bias-kind-boolean", setting("bias", True),
     "bias: must be \"none\", \"threshold\" (constant input -1) or \"bias\" (constant input +1), "
     "not the boolean true"),
    ("update-bias-not-boolean", setting("update_bias", "yes"),
     "update_bias: must be true or false, not the string 'yes'"),
    # -- names
    ("input-is-neuron-name", setting("inputs", ["x1", "A"]),
     "layers[0]: the name 'A' is used twice (also in inputs); every input and neuron needs its own name"),
    ("duplicate-in-layer", setting("layers", [["A", "A"], ["C"]]),
     "layers[0]: the name 'A' is used twice (also in layers[0]); every input and neuron needs its own name"),
    ("duplicate-across-layers", setting("layers", [["A", "B"], ["B"]]),
     "layers[1]: the name 'B' is used twice (also in layers[0]); every input and neuron needs its own name"),
    ("duplicate-input", setting("inputs", ["x1", "x1"]),
     "inputs: the name 'x1' is used twice (also in inputs); every input and neuron needs its own name"),
    ("name-underscore", setting("inputs", ["x_1", "x2"]),
     "inputs[0]: 'x_1' is not a valid name: "
     "use a letter followed by letters or digits (no '_', spaces or signs)"),
    ("name-digit-first", setting("layers", [["1A", "B"], ["C"]]),
     "layers[0][0]: '1A' is not a valid name: "
     "use a letter followed by letters or digits (no '_', spaces or signs)"),
    ("name-empty", setting("layers", [["A", ""], ["C"]]),
     "layers[0][1]: '' is not a valid name: "
     "use a letter followed by letters or digits (no '_', spaces or signs)"),
    ("name-space", setting("inputs", ["x1", "x 2"]),
     "inputs[1]: 'x 2' is not a valid name: "
     "use a letter followed by letters or digits (no '_', spaces or signs)"),
    ("name-bias-input", setting("inputs", ["x1", "bias"]),
     "inputs[1]: 'bias' is reserved for the constant input; rename it and set bias = \"threshold\" "
     "or \"bias\" instead"),
    ("name-bias-neuron", setting("layers", [["A", "bias"], ["C"]]),
     "layers[0][1]: 'bias' is reserved for the constant input; rename it and set bias = \"threshold\" "
     "or \"bias\" instead"),
    # names that would collide with quantity ids (found by the solver tests: an input P shadowed
    # the performance, an input alpha the learning rate, a neuron step2 read as a step suffix)
    ("name-P", setting("inputs", ["x1", "P"]),
     "inputs[1]: 'P' is reserved (P is the performance); choose another name"),
    ("name-alpha", setting("inputs", ["alpha", "x2"]),
     "inputs[0]: 'alpha' is reserved (alpha is the learning rate); choose another name"),
    ("name-step", setting("layers", [["A", "step2"], ["C"]]),
     "layers[0][1]: 'step2' is reserved (step<k> marks update steps in quantity ids); choose another name"),
    ("name-number", setting("inputs", ["x1", 2]), "inputs[1]: must be a name in quotes, not 2"),
    ("inputs-not-list", setting("inputs", "x1"),
     "inputs: must be a list of names like [\"x1\", \"x2\"], not the string 'x1'"),
    ("inputs-empty", setting("inputs", []), "inputs: is empty: list at least one network input"),
    ("inputs-missing", removing("inputs"),
     "inputs: missing: list the network inputs, e.g. inputs = [\"x1\", \"x2\"]"),
    # -- layers
    ("layers-missing", removing("layers"),
     "layers: missing: list the neurons layer by layer, e.g. layers = [[\"A\", \"B\"], [\"C\"]]"),
    ("layers-empty", setting("layers", []),
     "layers: is empty: give at least one layer of neurons, e.g. layers = [[\"A\"]]"),
    ("layer-empty", setting("layers", [["A", "B"], [], ["C"]]),
     "layers[1]: is an empty layer: remove it or add a neuron"),
    ("layers-flat", setting("layers", ["A", "B", "C"]),
     "layers[0]: must be a list of names like [\"A\", \"B\"], not the string 'A'"),
    ("layers-not-list", setting("layers", "A"),
     "layers: must be a list of layers like [[\"A\", \"B\"], [\"C\"]], not the string 'A'"),
    # -- samples
    ("samples-missing", removing("samples"),
     "samples: missing: add at least one [[samples]] with inputs and desired outputs"),
    ("samples-empty", setting("samples", []),
     "samples: is empty: add at least one [[samples]] with inputs and desired outputs"),
    ("sample-undeclared-input", sample("inputs", {"x1": 1.0, "x2": 0.0, "x3": 1.0}),
     "samples[0].inputs.x3: is not a declared input; the inputs are x1, x2: remove it or add it to inputs"),
    ("sample-input-typo", sample("inputs", {"x1": 1.0, "X2": 0.0}),
     "samples[0].inputs.X2: is not a declared input (did you mean 'x2'?); the inputs are x1, x2: "
     "remove it or add it to inputs"),
    ("sample-missing-input", sample("inputs", {"x1": 1.0}),
     "samples[0].inputs: missing a value for input x2: add x2 = <number>"),
    ("sample-input-string", sample("inputs", {"x1": "one", "x2": 0.0}),
     "samples[0].inputs.x1: must be a number, not the string 'one'"),
    ("sample-input-nan", sample("inputs", {"x1": math.nan, "x2": 0.0}),
     "samples[0].inputs.x1: must be a finite number, not nan: give an ordinary number such as 0.5"),
    ("sample-missing-desired", sample("desired", {}),
     "samples[0].desired: missing the desired output of final neuron C: add C = <number>"),
    ("sample-desired-hidden", sample("desired", {"C": 1.0, "A": 0.0}),
     "samples[0].desired.A: is not a final-layer neuron; desired values are given only for C"),
    ("sample-desired-typo", sample("desired", {"c": 1.0}),
     "samples[0].desired.c: is not a final-layer neuron (did you mean 'C'?); "
     "desired values are given only for C"),
    ("sample-desired-boolean", sample("desired", {"C": True}),
     "samples[0].desired.C: must be a number, not the boolean true"),
    ("sample-unknown-key", sample("target", {"C": 1.0}),
     "samples[0].target: unknown key; a sample has only inputs and desired"),
    ("sample-inputs-not-table", sample("inputs", [1.0, 0.0]),
     "samples[0].inputs: must be a table like { x1 = 1.0 }"),
    ("sample-not-table", setting("samples", [1.0]),
     "samples[0]: must be a table with inputs = {...} and desired = {...}"),
    # -- epochs and decimals
    ("epochs-zero", setting("epochs", 0), "epochs: must be 1 or more, not 0"),
    ("epochs-negative", setting("epochs", -3), "epochs: must be 1 or more, not -3"),
    ("epochs-float", setting("epochs", 1.5), "epochs: must be a whole number, 1 or more, not 1.5"),
    ("epochs-string", setting("epochs", "2"),
     "epochs: must be a whole number, 1 or more, not the string '2'"),
    ("epochs-boolean", setting("epochs", True),
     "epochs: must be a whole number, 1 or more, not the boolean true"),
    ("epochs-too-many", setting("epochs", 10**9),
     "epochs: 1000000000 epochs of 1 sample(s) make 1000000000 update steps; at most 10000 are solved: "
     "lower epochs"),
    ("decimals-negative", setting("decimals", -1), "decimals: must be a whole number from 0 to 12, not -1"),
    ("decimals-too-many", setting("decimals", 13), "decimals: must be a whole number from 0 to 12, not 13"),
    ("decimals-float", setting("decimals", 2.5), "decimals: must be a whole number from 0 to 12, not 2.5"),
    # -- top level
    ("unknown-key-typo", both(removing("alpha"), setting("alpah", 0.5)),
     "alpah: unknown key (did you mean 'alpha'?); the keys are alpha, bias, update_bias, epochs, "
     "decimals, inputs, layers, weights, samples"),
    ("unknown-key", setting("learning_rate", 0.5),
     "learning_rate: unknown key; the keys are alpha, bias, update_bias, epochs, decimals, inputs, "
     "layers, weights, samples"),
]


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_toml_error(runner: CliRunner, tmp_path: Path, change, message: str) -> None:
    """Does a TOML file with this mistake give exactly this message and exit status 2?"""
    path = tmp_path / "net.toml"
    path.write_text(to_toml(changed(change)), encoding="utf-8")
    assert_error(solve(runner, path), f"{path}: {message}")


JSON_CASES = [c for c in CASES if c[0] != "alpha-huge-integer"]  # JSON has no integer limit issue here


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_json_error(runner: CliRunner, tmp_path: Path, change, message: str) -> None:
    """Does the same mistake in a JSON file give the same message?"""
    path = tmp_path / "net.json"
    path.write_text(json.dumps(changed(change)), encoding="utf-8")  # NaN / Infinity as JSON allows
    assert_error(solve(runner, path), f"{path}: {message}")


@pytest.mark.parametrize(("change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_handout_error(runner: CliRunner, tmp_path: Path, change, message: str) -> None:
    """In a handout file the same mistake is reported under instance.<key>."""
    path = tmp_path / "student01.toml"
    inner = to_toml(changed(change))
    meta = '[meta]\nassignment = "hw3"\nstudent = "student01"\nsignature = "abc"\n'
    # put every key of the instance under [instance] by rewriting table headers
    text = meta + "[instance]\n" + inner.replace("[weights]", "[instance.weights]").replace(
        "[[samples]]", "[[instance.samples]]"
    ) + "[answers]\n"
    # top-level scalar keys of the instance come right after [instance], before any sub-table
    path.write_text(text, encoding="utf-8")
    assert_error(solve(runner, path), f"{path}: instance.{message}")


# --------------------------------------------------------------------------- the valid file


HANDWRITTEN = """\
alpha = 0.5
bias = "threshold"      # 6.034 thresholds
update_bias = true
epochs = 1
decimals = 4
inputs = ["x1", "x2"]
layers = [["A", "B"], ["C"]]

[weights]
x1_A = 1.0
x2_A = -0.5
bias_A = 0.5
x1_B = 0.25
x2_B = 1.0
bias_B = -0.5
A_C = 1.0
B_C = -1.0
bias_C = 0.5

[[samples]]
inputs = { x1 = 1.0, x2 = 0.0 }
desired = { C = 1.0 }
"""


def test_valid_toml_and_json_give_the_same_instance(tmp_path: Path) -> None:
    """Is JSON with the same structure read as the same Instance as the TOML?"""
    toml_path = tmp_path / "net.toml"
    toml_path.write_text(HANDWRITTEN, encoding="utf-8")
    json_path = tmp_path / "net.json"
    json_path.write_text(json.dumps({**BASE, "update_bias": True, "epochs": 1, "decimals": 4}),
                         encoding="utf-8")
    from_toml = load_instance(toml_path)
    assert from_toml == load_instance(json_path)
    assert from_toml.inputs == ("x1", "x2")
    assert from_toml.layers == (("A", "B"), ("C",))
    assert from_toml.bias_value == -1.0
    assert from_toml.weight("bias_A".split("_")[0], "A") == 0.5
    assert from_toml.sample_of_step(1).desired_of("C") == 1.0
    assert from_toml.decimals == 4


def test_valid_file_solves(runner: CliRunner, tmp_path: Path) -> None:
    """Does a valid file give exit status 0 and a solution?"""
    path = tmp_path / "net.toml"
    path.write_text(HANDWRITTEN, encoding="utf-8")
    result = solve(runner, path)
    assert result.exit_code == 0, result.output
    assert "delta_C" in result.output


def test_handout_with_instance_table_is_accepted(runner: CliRunner, tmp_path: Path) -> None:
    """Is a handout ([meta], [instance], [answers]) read as its [instance]? (Unsigned: a
    student's signed handout is solved only for the instructor, tests/test_reveal.py.)"""
    path = tmp_path / "student01.toml"
    inner = (HANDWRITTEN.replace("[weights]", "[instance.weights]")
             .replace("[[samples]]", "[[instance.samples]]"))
    path.write_text(
        '[meta]\nassignment = "hw3"\nstudent = "student01"\n\n[instance]\n'
        + inner
        + '\n[answers]\no_C = ""\ndelta_C = ""\n',
        encoding="utf-8",
    )
    plain = tmp_path / "net.toml"
    plain.write_text(HANDWRITTEN, encoding="utf-8")
    assert load_instance(path) == load_instance(plain)
    result = solve(runner, path)
    assert result.exit_code == 0, result.output


def test_handout_instance_not_a_table(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "student01.toml"
    path.write_text('instance = "net.toml"\n', encoding="utf-8")
    assert_error(
        solve(runner, path),
        f"{path}: instance: the instance must be a table of keys (alpha, inputs, layers, weights, samples)",
    )


def test_weight_order_does_not_matter(tmp_path: Path) -> None:
    """Are Instance.connections canonical (by target in layer order, then source), whatever the key order?"""
    reordered = copy.deepcopy(BASE)
    reordered["weights"] = dict(reversed(list(BASE["weights"].items())))
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(to_toml(BASE), encoding="utf-8")
    b.write_text(to_toml(reordered), encoding="utf-8")
    first, second = load_instance(a), load_instance(b)
    assert first == second
    assert [c.key for c in first.connections] == [
        "x1_A", "x2_A", "bias_A", "x1_B", "x2_B", "bias_B", "A_C", "B_C", "bias_C",
    ]


def test_integers_are_numbers(tmp_path: Path) -> None:
    """Are integer weights and inputs (1 rather than 1.0) accepted as numbers?"""
    data = changed(both(setting("alpha", 1), weight("x1_A", 2), sample("inputs", {"x1": 1, "x2": 0})))
    path = tmp_path / "net.toml"
    path.write_text(to_toml(data), encoding="utf-8")
    instance = load_instance(path)
    assert instance.alpha == 1.0 and instance.weight("x1", "A") == 2.0


def test_skip_layer_connection_is_valid(tmp_path: Path) -> None:
    """A connection from an input straight into the final layer runs forward: accepted."""
    path = tmp_path / "net.toml"
    path.write_text(to_toml(changed(weight("x1_C", 0.5))), encoding="utf-8")
    assert load_instance(path).weight("x1", "C") == 0.5


def test_threshold_without_bias_weights_is_valid(tmp_path: Path) -> None:
    """bias = "none" with no bias weights is a valid net."""
    path = tmp_path / "net.toml"
    path.write_text(to_toml(changed(THRESHOLD_NO_BIAS)), encoding="utf-8")
    assert load_instance(path).bias_value is None


@settings(max_examples=50, deadline=None)
@given(order=st.permutations(list(BASE["weights"])), sample_order=st.booleans())
def test_any_key_order_gives_the_same_instance(order: list[str], sample_order: bool) -> None:
    """However the weights (and a sample's inputs) are ordered, the Instance is the same."""
    data = copy.deepcopy(BASE)
    data["weights"] = {k: BASE["weights"][k] for k in order}
    if sample_order:
        data["samples"][0]["inputs"] = {"x2": 0.0, "x1": 1.0}
    assert instance_from_dict(data) == instance_from_dict(BASE)


def test_to_dict_round_trips(tmp_path: Path) -> None:
    """Is Instance.to_dict a valid instance file that reads back as the same Instance?"""
    instance = instance_from_dict(changed(both(setting("epochs", 3), setting("update_bias", False))))
    path = tmp_path / "net.json"
    path.write_text(json.dumps(instance.to_dict()), encoding="utf-8")
    assert load_instance(path) == instance


def _fresh(data: Any) -> Any:
    """instance_from_dict with no structure known: everything validated."""
    from grader.shapes import SHAPES

    saved = dict(SHAPES)
    SHAPES.clear()
    try:
        return instance_from_dict(data, "net.toml")
    except BackpropError as exc:
        return exc.message
    finally:
        SHAPES.clear()
        SHAPES.update(saved)


def _known_first(data: Any) -> Any:
    """instance_from_dict once BASE's structure is known (the fast path when data fits it)."""
    instance_from_dict(copy.deepcopy(BASE))
    try:
        return instance_from_dict(data, "net.toml")
    except BackpropError as exc:
        return exc.message


@pytest.mark.parametrize("value", [0.25, -0.0, 1, True, "0.5", None, math.inf, -math.inf, math.nan,
                                   10**400, [], 2.0**60])
@pytest.mark.parametrize("where", ["alpha", "weights.x1_A", "weights.bias_C",
                                   "samples.0.inputs.x2", "samples.0.desired.C"])
def test_a_known_structure_gives_the_instance_and_the_errors_of_full_validation(
    where: str, value: Any
) -> None:
    """Data of a structure that validated before is built without validating again only when
    every number is a finite float: the same Instance (bit for bit: -0.0 stays -0.0) or the
    same error as validating it in full."""
    data = copy.deepcopy(BASE)
    *path, last = where.split(".")
    table = data
    for part in path:
        table = table[int(part)] if part.isdigit() else table[part]
    table[last] = value
    got, want = _known_first(data), _fresh(data)
    assert got == want
    if not isinstance(got, str):
        assert json.dumps(got.to_dict()) == json.dumps(want.to_dict())
        assert repr(got) == repr(want)


@pytest.mark.parametrize("change", [
    setting("epochs", 2), setting("decimals", 3), setting("update_bias", False), setting("bias", "bias"),
    setting("epochs", 0), setting("decimals", 13), setting("update_bias", 1), setting("bias", "none"),
    setting("inputs", ["x1", "x3"]), setting("layers", [["A", "B"], ["D"]]), setting("samples", []),
])
def test_a_changed_setting_of_a_known_structure_is_validated(change: Any) -> None:
    data = changed(change)
    assert _known_first(data) == _fresh(data)


def test_a_known_structure_with_other_sample_layouts_is_validated() -> None:
    for edit in (
        lambda d: d["samples"].append(copy.deepcopy(d["samples"][0])),
        lambda d: d["samples"][0].update(inputs={"x2": 0.0, "x1": 1.0}),
        lambda d: d["samples"][0]["inputs"].pop("x2"),
        lambda d: d["samples"][0].update(extra=1),
        lambda d: d["samples"][0].update(desired={"C": 1.0, "D": 0.0}),
        lambda d: d.update(samples=[{"desired": {"C": 1.0}, "inputs": {"x1": 1.0, "x2": 0.0}}]),
        lambda d: d.update(weights=dict(reversed(list(d["weights"].items())))),
    ):
        data = copy.deepcopy(BASE)
        edit(data)
        got, want = _known_first(data), _fresh(data)
        assert got == want
        if not isinstance(got, str):
            assert json.dumps(got.to_dict()) == json.dumps(want.to_dict())
