# Two commands on a fresh machine: `make demo` and `make test`. Both create the virtual
# environment and install the kit (from pyproject.toml) the first time.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint release bench browser clean

# The kit and its tools into a new venv. uv installs the same releases from PyPI as pip
# would, in half the time (72 s with pip, 36 s with uv, measured here); the bytecode is
# compiled now, as pip does, so that no test process compiles TensorFlow's sources on import.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) --link-mode copy --compile-bytecode \
	  -e ".[dev]"
	touch $(STAMP)

# Grade the bundled example submissions offline; results land in out/demo/.
demo: $(STAMP)
	CNNKIT_OFFLINE=$${CNNKIT_OFFLINE-1} $(VENV)/bin/cnnkit demo --out out/demo

# The cats-vs-dogs mirror for the tests that need real photos (the folder holding
# cats_and_dogs_filtered/); where CI keeps it by default. Those tests skip without it.
CNNKIT_TEST_MIRROR ?= $(abspath ../shared/datasets)

# The whole test suite of the kit (pytest's "no tests collected" counts as a failure), in
# three processes; each test file stays in one process (its module fixtures are built once; the
# longest files first, tests/conftest.py), and
# the gradings of the bundled examples are shared between the processes (tests/conftest.py).
# Three on two cores: the suite is CPU-bound, and the third takes up the time the others
# leave a core idle (waiting for a shared grading, a browser, a timeout). The venv's install
# and the browser's (on CI) fetch from different registries: they run side by side.
test:
	@$(MAKE) --no-print-directory -j2 $(STAMP) browser
	@CNNKIT_TEST_MIRROR="$(CNNKIT_TEST_MIRROR)" $(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder --durations=30; code=$$?; \
	if [ $$code -eq 5 ]; then echo "pytest collected no tests: the suite is misconfigured"; fi; \
	exit $$code

# The feedback page is checked in a real browser: Debian's chromium, installed when missing
# where that is possible (root with apt-get, as in CI); elsewhere that check is skipped and
# says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium (the feedback page's browser test)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  else \
	    echo "chromium is not installed and cannot be installed here: the browser test is skipped"; \
	  fi; }

# Where a cold grading's seconds go, batch grading speed with one and two lanes, and the
# same submissions through nbgrader autograde (measurements, not tests: run them on a quiet
# machine).
bench: $(STAMP)
	$(PY) benchmarks/cold_profile.py --repeats 3
	$(PY) benchmarks/cold_profile.py --repeats 3 --fresh-cache
	$(PY) benchmarks/grading_throughput.py --copies 2 --jobs 1 2
	$(PY) benchmarks/nbgrader_compare.py --assignment 01_mnist_cnn --jobs 1 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .

release: $(STAMP)
	$(VENV)/bin/cnnkit release

clean:
	rm -rf out .pytest_cache
