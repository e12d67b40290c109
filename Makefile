# make: set up .venv and build sources/ into dist/.
# make test: the static checks (make lint), then the whole test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: all build bytecode test lint system-deps chromium qpdf axe clean

all: build

build: $(VENV)/.installed system-deps bytecode
	$(BIN)/python build.py build --sources sources --out dist

# The builder's modules compiled ahead, as pip compiles an installed package: every command
# then starts without compiling them, even where PYTHONDONTWRITEBYTECODE keeps Python from
# saving what it compiles. Only changed modules are compiled again.
bytecode: $(VENV)/.installed
	@$(BIN)/python -m compileall -q report

test: lint system-deps chromium qpdf axe
	$(BIN)/python -m pytest

# Types (mypy --strict, files in pyproject.toml), lint rules and formatting (ruff).
LINTED := report build.py benchmarks tests
lint: $(VENV)/.installed-test
	$(BIN)/python -m mypy
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

# Quiet installs: pip prints errors only (-qq), and setuptools' notice that comes with every
# editable install ("Editable installation. Please be careful with folders ...") is
# filtered out by its text. A failing install still prints pip's ERROR lines and stops make.
PIP := PYTHONWARNINGS="ignore:Editable installation." $(BIN)/python -m pip

$(VENV)/.installed: pyproject.toml
	@echo "setting up $(VENV): the builder, installed editable"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install -qq --upgrade pip
	@$(PIP) install -qq -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	@echo "installing the test extras into $(VENV)"
	@$(PIP) install -qq -e '.[test]'
	@touch $@

# WeasyPrint needs HarfBuzz's subsetter for fast, reproducible font subsets.
system-deps:
	@if ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing libharfbuzz-subset0 with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 >/dev/null; \
	else \
		echo "note: libharfbuzz-subset0 is missing; install it (sudo apt-get install libharfbuzz-subset0)"; \
		echo "      for twice-as-fast PDF output. Builds stay reproducible without it."; \
	fi

# The tests hold every volume they build to qpdf's own check (tests/qpdf.py).
qpdf:
	@if command -v qpdf >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing qpdf with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qpdf >/dev/null; \
	else \
		echo "note: qpdf is missing; install it (sudo apt-get install qpdf): the tests need it"; \
	fi

# The preview server's tests (tests/test_serve.py) drive Debian's headless Chromium.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	else \
		echo "note: chromium is missing; install it (sudo apt-get install chromium)"; \
		echo "      for the preview server's browser tests, which are skipped without it."; \
	fi

# The accessibility tests (tests/test_axe.py) run axe-core in that Chromium: the version
# package-lock.json pins, installed into node_modules/ by npm (Node.js 20 or later).
axe: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing npm with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; \
	fi
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	else \
		echo "note: npm is missing; install Node.js and npm (sudo apt-get install npm), then"; \
		echo "      run \`npm ci\` for the accessibility tests, which are skipped without axe-core."; \
	fi

clean:
	rm -rf dist $(VENV) node_modules

# After an intended change of layout: rewrite tests/visual/*.png from a fresh build of sources/.
.PHONY: visual-refs
visual-refs: $(VENV)/.installed-test system-deps
	$(BIN)/python tests/visual/render.py

# After a change of the bundled TrueType fonts: make their WOFF2 forms for the web pages
# again (report/render/web.py). fontTools compresses with Brotli.
.PHONY: webfonts
webfonts: $(VENV)/.installed
	$(BIN)/python -m report.render.web
