# The two commands a newcomer needs: `make demo` and `make test`. Everything else is built on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY39 := $(shell pyenv prefix 3.9 2>/dev/null)/bin/python3
PY313 := $(shell pyenv prefix 3.13 2>/dev/null)/bin/python3

# Tests that run under Splunk's own Pythons (3.9 and 3.13) as well as the dev Python.
PORTABLE_TESTS := tests/mimecast tests/simulator tests/splunk tests/actions tests/search tests/demo tests/inputs/test_events.py tests/inputs/test_checkpoint.py tests/inputs/test_risk_sync.py tests/inputs/test_collect.py tests/inputs/test_harness.py tests/inputs/test_bin_inputs.py

.PHONY: demo test lint bench package clean

$(BIN)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.2
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.venv39/bin/.ready: pyproject.toml
	$(PY39) -m venv .venv39
	.venv39/bin/pip install --quiet -e '.[dev]'
	touch $@

.venv313/bin/.ready: pyproject.toml
	$(PY313) -m venv .venv313
	.venv313/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.ready
	$(BIN)/mimecast-at demo

lint: $(BIN)/.ready
	$(BIN)/ruff check .

test: $(BIN)/.ready .venv39/bin/.ready .venv313/bin/.ready lint package .venv-inspect/bin/.ready
	$(BIN)/pytest
	.venv39/bin/pytest -p no:cacheprovider $(PORTABLE_TESTS)
	.venv313/bin/pytest -p no:cacheprovider $(PORTABLE_TESTS)

# The Splunk app: UCC builds dist/TA-mimecast-awareness-<version>.tgz (tests/package inspects and runs it).
.venv-build/bin/.ready: packaging/build-requirements.txt
	$(PYTHON) -m venv .venv-build
	.venv-build/bin/pip install --quiet --upgrade pip==25.2
	.venv-build/bin/pip install --quiet -r packaging/build-requirements.txt
	touch $@

.venv-inspect/bin/.ready: packaging/inspect-requirements.txt
	$(PYTHON) -m venv .venv-inspect
	.venv-inspect/bin/pip install --quiet --upgrade pip==25.2
	.venv-inspect/bin/pip install --quiet -r packaging/inspect-requirements.txt
	touch $@

package: .venv-build/bin/.ready
	.venv-build/bin/python packaging/build.py

bench: $(BIN)/.ready
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .venv39 .venv313 .venv-build .venv-inspect build dist output demo-output
