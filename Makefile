# The two commands a newcomer needs: `make demo` and `make test`. Everything else is built on demand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Splunk's two Pythons, from pyenv; a missing one stops the build with a message (never another Python).
PY39 := $(shell pyenv prefix 3.9 2>/dev/null)
PY313 := $(shell pyenv prefix 3.13 2>/dev/null)
need-python = @test -n "$(1)" && "$(1)/bin/python3" -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(2)")' \
	|| { echo "make: Python $(2) is needed (Splunk runs it): install it with pyenv (pyenv install $(2))" >&2; exit 1; }

# The test tiers are folders: tests/unit (no I/O beyond files), tests/workshop (the product as splunkd runs
# it, against the simulated tenant and the splunkd stand-in), tests/content (confs, SPL, dashboards) and
# tests/package (the built tarball). Unit and workshop run under Splunk's own Pythons (3.9, 3.13) too.
PORTABLE_TESTS := tests/unit tests/workshop
# Each run spreads its tests over every core (pytest-xdist; tests/conftest.py keeps the tests of a module-scoped
# fixture together). TEST_WORKERS=0 runs them in this one process.
TEST_WORKERS ?= auto
PARALLEL := -n $(TEST_WORKERS) --dist loadgroup

.PHONY: demo test lint bench package clean render-tools dashboard-pictures soar

$(BIN)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.2
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

.venv39/bin/.ready: pyproject.toml
	$(call need-python,$(PY39),3.9)
	$(PY39)/bin/python3 -m venv .venv39
	.venv39/bin/pip install --quiet -e '.[dev]'
	touch $@

.venv313/bin/.ready: pyproject.toml
	$(call need-python,$(PY313),3.13)
	$(PY313)/bin/python3 -m venv .venv313
	.venv313/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.ready .venv-soar/bin/.ready
	$(BIN)/mimecast-at demo
	$(BIN)/python -m devkit.soar

lint: $(BIN)/.ready
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(BIN)/.ready .venv39/bin/.ready .venv313/bin/.ready lint package .venv-inspect/bin/.ready render-tools soar
	$(BIN)/pytest $(PARALLEL)
	.venv39/bin/pytest -p no:cacheprovider $(PARALLEL) $(PORTABLE_TESTS)
	.venv313/bin/pytest -p no:cacheprovider $(PARALLEL) $(PORTABLE_TESTS)

# The dashboard render test (tests/content/test_render.py) draws with Splunk's Dashboard Studio npm packages,
# pinned by the lock file in a git-ignored folder, in a headless Chromium: `chromium` or `chromium-browser`, or
# the one CHROMIUM names (`make test CHROMIUM=/path/to/chrome`). A missing program is installed with apt-get
# only by root on Debian or Ubuntu (as CI runs); anywhere else make stops with one line naming what to install.
RENDER := tests/content/render
CHROMIUM ?=
export CHROMIUM
program = $(shell command -v '$(1)' 2>/dev/null)
found = $(firstword $(foreach p,$(1),$(call program,$(p))))
can-apt = $(and $(filter 0,$(shell id -u 2>/dev/null)),$(wildcard /etc/debian_version),$(call found,apt-get))
# $(call need,<programs, any one will do>,<Debian packages>,<what to install, in words>[,<what for>])
need = $(if $(call found,$(1)),@true,$(if $(can-apt),apt-get update -qq && apt-get install -y -qq $(2),$(error \
	make: $(3) is needed $(or $(4),to draw the dashboards (tests/content/test_render.py)): install it, or run make as root \
	on Debian or Ubuntu to have apt-get install it)))
need-chromium = $(if $(CHROMIUM),$(if $(call program,$(CHROMIUM)),@true,$(error make: CHROMIUM=$(CHROMIUM) is not \
	a program: point it at a Chromium or Chrome)),$(call need,chromium chromium-browser,chromium,Chromium \
	(chromium or chromium-browser on the PATH, or CHROMIUM=/path/to/chrome)))

$(RENDER)/node_modules/.package-lock.json: $(RENDER)/package.json $(RENDER)/package-lock.json
	$(call need,npm,nodejs npm,npm (with Node.js))
	cd $(RENDER) && npm ci --no-audit --no-fund --loglevel=error

render-tools: $(RENDER)/node_modules/.package-lock.json
	$(call need,node,nodejs,Node.js)
	$(need-chromium)

# The README's pictures: the overview's sample results recomputed from a demo run (tests/content/demo_samples.py),
# the dashboards rendered, the PNGs kept under docs/ in 256 colours (a third the size).
dashboard-pictures: $(BIN)/.ready render-tools
	$(BIN)/mimecast-at demo > /dev/null
	$(BIN)/python -m tests.content.demo_samples demo-output
	$(BIN)/pytest -q -p no:cacheprovider tests/content/test_render.py
	$(call need,pngquant,pngquant,pngquant,to shrink the pictures)
	mkdir -p docs/dashboards && cp build/dashboards/*.png docs/dashboards/
	pngquant --force --quality 80-95 --ext .png docs/dashboards/*.png

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

# The Splunk SOAR app (soar_app/, docs/soar.md): splunk-soar-sdk and uv in a venv of their own under pyenv's
# Python 3.13 (SOAR runs apps on 3.9 and 3.13); the SDK's packager builds dist/mimecast-awareness-soar-<v>.tgz
# and tests/soar runs every action through the SDK's local runner in that venv.
.venv-soar/bin/.ready: soar_app/requirements-build.txt
	$(call need-python,$(PY313),3.13)
	$(PY313)/bin/python3 -m venv .venv-soar
	.venv-soar/bin/pip install --quiet --upgrade pip==25.2
	.venv-soar/bin/pip install --quiet -r soar_app/requirements-build.txt
	touch $@

# SOAR brings requests itself; tests/soar/test_package.py installs these pure wheels beside the package's.
soar: .venv-soar/bin/.ready
	.venv-soar/bin/python soar_app/build.py
	.venv-soar/bin/pip download --quiet --only-binary=:all: --platform any --python-version 3.9 \
		--implementation py --abi none -d build/soar/requests requests==2.32.5

bench: $(BIN)/.ready
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .venv39 .venv313 .venv-build .venv-inspect .venv-soar build dist output demo-output $(RENDER)/node_modules $(RENDER)/build
