# Two commands set everything up on a fresh machine:
#   make demo   creates .venv, installs backprop-grader, runs the main job on built-in defaults
#   make test   creates .venv, installs backprop-grader with its test extras, runs the tests
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= demo-out

.PHONY: demo test bench lint clean

$(BIN)/backprop: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/backprop

demo: $(BIN)/backprop
	$(BIN)/backprop demo --out $(OUT)

test: $(BIN)/backprop
	$(BIN)/python -m pytest -q

bench: $(BIN)/backprop
	for script in bench/bench_*.py; do $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis build *.egg-info
