# The two commands a newcomer runs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export JUPYTER_DATA_DIR := $(CURDIR)/.jupyter/data
export JUPYTER_RUNTIME_DIR := $(CURDIR)/.jupyter/runtime
export IPYTHONDIR := $(CURDIR)/.jupyter/ipython

.PHONY: demo dashboard test bench lint clean hub

# IPython refuses a profile folder whose parent does not exist yet.
JUPYTER_DIRS := $(JUPYTER_DATA_DIR) $(JUPYTER_RUNTIME_DIR) $(IPYTHONDIR)
$(JUPYTER_DIRS):
	mkdir -p $@

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,hub]'
	touch $(STAMP)

# The main job on the demo district: build it, evaluate every project mid-year, then write the
# supervision reports (31 October), the year-end assessments (31 December), the district overview and
# one digest per supervisor of the demo (王督导, 李督导: every station whose sessions they led).
# First, when root or passwordless sudo on Debian/Ubuntu, install Chromium and CJK fonts for the PDFs
# (SGZ_SYSTEM_PACKAGES=no: leave the system alone); without a browser the reports are ipynb and HTML.
# Last, out/index.html and a summary of what was written (with the command that enables PDFs, if needed).
# The demo tells one story: on DEMO_AS_OF (31 October) the evaluation, the supervision reports, the district
# overview, the digests and the dashboards (`make dashboard`); the year-end assessment at the project's end.
DEMO_AS_OF := 2025-10-31
DEMO_YEAR_END := 2025-12-31
demo: $(STAMP) | $(JUPYTER_DIRS)
	$(BIN)/python -m sgzlib.runtime.system_packages
	$(BIN)/sgz demo --photos data/照片
	$(BIN)/sgz photos scan data/照片
	$(BIN)/sgz evaluate --all --as-of $(DEMO_AS_OF) --out out/评估_$(DEMO_AS_OF).xlsx --format xlsx
	$(BIN)/sgz report station --all --as-of $(DEMO_AS_OF) --out out
	$(BIN)/sgz report assessment --all --as-of $(DEMO_YEAR_END) --out out
	$(BIN)/sgz report district 云岭区 --as-of $(DEMO_AS_OF) --out out
	$(BIN)/sgz report digest --all --as-of $(DEMO_AS_OF) --out out
	@echo "== 演示完成"
	@$(BIN)/sgz index --out out
	@echo "看板：make dashboard（示范区的看板与督导报告同一日期 $(DEMO_AS_OF)，看板顶部写明日期）"

# The demo's dashboards on the demo's date (the same figures as its supervision reports).
dashboard: $(STAMP) | $(JUPYTER_DIRS)
	$(BIN)/sgz dashboard --as-of $(DEMO_AS_OF)

# First, when root or passwordless sudo on Debian/Ubuntu, install what the tests use: Chromium, CJK fonts,
# LibreOffice Calc, poppler-utils, a PostgreSQL server and npm (SGZ_SYSTEM_PACKAGES=no: leave the system
# alone); with npm, the multi-user dashboards' proxy. The tests start a throwaway PostgreSQL themselves when
# SGZ_TEST_POSTGRES_URL is unset; a test whose program is missing is skipped (under CI=true it fails), and the
# run ends with one line naming what was skipped and the command that enables it (tests/conftest.py).
# Three workers on two cores: many tests wait on browsers, servers and kernels. One worker takes a whole
# test file (--dist loadfile), so a module's fixtures are built once; the longest files go first
# (tests/conftest.py LONG_FIRST).
TEST_WORKERS ?= 3
test: $(STAMP) | $(JUPYTER_DIRS)
	$(BIN)/python -m sgzlib.runtime.system_packages --tests
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(PROXY_STAMP) || \
	    echo "未能安装多用户看板的代理（npm ci --prefix deploy）：多用户看板测试将跳过"; fi
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# Every benchmark, or those named: make bench BENCH="evaluate photo_dupes". Exits 1 when a figure misses its goal
# or a result disagrees with its reference (benchmarks/judge.py).
BENCH ?=
bench: $(STAMP) | $(JUPYTER_DIRS)
	$(BIN)/python -m benchmarks $(BENCH)

# The dashboards for many users (README「多用户看板（JupyterHub）」): JupyterHub and its proxy, configured by
# the SGZ_HUB_* variables; the proxy (configurable-http-proxy, pinned in deploy/package-lock.json) from npm.
PROXY_STAMP := deploy/node_modules/.installed-stamp
$(PROXY_STAMP): deploy/package.json deploy/package-lock.json
	npm ci --prefix deploy --no-audit --no-fund
	touch $(PROXY_STAMP)

hub: $(STAMP) $(PROXY_STAMP) | $(JUPYTER_DIRS)
	$(BIN)/jupyterhub -f deploy/jupyterhub_config.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .jupyter out data/sgz.db
