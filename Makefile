# Two commands set everything up on a fresh machine:
#   make demo   creates .venv, installs backprop-grader, runs the main job on built-in defaults
#   make test   creates .venv, installs backprop-grader with its test extras, runs the tests
#   make lint   runs ruff (rules in pyproject.toml) over grader, tests and bench
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= demo-out

.PHONY: demo test bench lint clean katex

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

# ruff is in the test extras; a venv made before it was added gets it here.
lint: $(BIN)/backprop
	$(BIN)/ruff --version >/dev/null 2>&1 || $(BIN)/pip install --quiet ruff
	$(BIN)/ruff check grader tests bench

# tests/test_markdown_math.py renders every Markdown output with KaTeX under node: the packages
# pinned in tests/katex, installed into tests/.katex (ignored by git); the test does it if missing
katex:
	mkdir -p tests/.katex
	cp tests/katex/package.json tests/katex/package-lock.json tests/.katex/
	cd tests/.katex && npm ci --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis build *.egg-info tests/.katex
