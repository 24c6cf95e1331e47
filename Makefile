# Two commands on a fresh machine: `make demo` and `make test`. Both create the virtual
# environment and install the kit (from pyproject.toml) the first time.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint release clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Grade the bundled example submissions offline; results land in out/demo/.
demo: $(STAMP)
	CNNKIT_OFFLINE=$${CNNKIT_OFFLINE-1} $(VENV)/bin/cnnkit demo --out out/demo

# The whole test suite of the kit (pytest's "no tests collected" counts as a failure), in
# two processes; modules that share one grading of an assignment's examples stay together.
test: $(STAMP)
	@$(PY) -m pytest -n 2 --dist loadgroup; code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests: the suite is misconfigured"; fi; \
	exit $$code

lint: $(STAMP)
	$(VENV)/bin/ruff check .

release: $(STAMP)
	$(VENV)/bin/cnnkit release

clean:
	rm -rf out .pytest_cache
