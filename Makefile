# Every target sets itself up on a fresh machine: `make test` is all CI runs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps test test-clocks lint typecheck pytest demo bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Portique needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $(STAMP)

install: $(STAMP)

# axe-core, the accessibility rules the browser tests run in each page (tests/e2e), from
# the npm registry into the virtual environment; never committed.
AXE_VERSION := 4.10.3
AXE := $(VENV)/npm/.axe-core-$(AXE_VERSION)
$(AXE): $(STAMP)
	@command -v npm >/dev/null || { echo "The accessibility audit needs npm (make system-deps)"; exit 1; }
	npm install --silent --no-save --no-audit --no-fund --ignore-scripts --prefix $(VENV)/npm axe-core@$(AXE_VERSION)
	touch $(AXE)

# Debian packages the browser tests and printable cards need (Chromium, DejaVu fonts), ICU
# with its build tools for PyICU (Unicode confusables for the refusal list), and the
# kernel's input headers the evdev package (lane readers, built from source) needs. npm (for
# axe-core, the accessibility audit of the browser tests) comes with Node.js where Node.js is
# NodeSource's, whose package conflicts with Debian's npm: Debian's only where no npm runs.
# pg_dump/pg_restore of the PostgreSQL server's major version (`portique backup`).
DEBIAN_PACKAGES := chromium fonts-dejavu-core libicu-dev pkg-config g++ gcc linux-libc-dev postgresql-client-15
system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v npm >/dev/null || echo npm); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

typecheck: $(STAMP)
	$(BIN)/mypy src/

pytest: $(STAMP) $(AXE)
	$(BIN)/pytest

test: lint typecheck pytest

# The whole suite at the times that break clock-dependent code (see README, "Time in tests").
CLOCKS := sunday-night weekday-2359 dst-spring leap-day
test-clocks: $(STAMP) $(AXE)
	@set -e; for moment in $(CLOCKS); do echo "== pytest --clock=$$moment"; $(BIN)/pytest -q --clock=$$moment; done

# Real faces for the demo when the shared LFW copy is beside the repository.
DEMO_FACES ?= ../shared/datasets/lfw/images
SHARED_MODELS ?= ../shared/models

demo: $(STAMP)
	$(if $(wildcard $(SHARED_MODELS)),$(BIN)/portique models install --from $(SHARED_MODELS))
	$(BIN)/portique demo $(if $(wildcard $(DEMO_FACES)),--faces $(DEMO_FACES))

bench: $(STAMP)
	$(BIN)/portique bench --root ../shared/datasets/lfw --frames 200

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
