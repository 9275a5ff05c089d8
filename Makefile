# Thin aliases for the README's commands. Each creates .venv and installs when missing.
# Supported: Python 3.10 to 3.13. Choose one with, for example, `make run PYTHON=python3.12`.
PYTHON ?= python3
ASKED := $(if $(filter command line environment,$(origin PYTHON)),yes,no)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CELL_TIMEOUT ?= 600
# Test processes (pytest-xdist): each notebook stays whole in one process (--dist loadfile).
TEST_WORKERS ?= 2

.PHONY: install run test test-fast lint full claims brief lab book python-check test-slow mutate

# Before .venv is made or reused: the interpreter asked for runs, is supported, and made .venv.
python-check:
	@if [ "$(ASKED)" = yes ] || [ ! -x $(BIN)/python ]; then \
		$(PYTHON) -c "" 2>/dev/null || { echo "make: '$(PYTHON)' does not run here. Choose an installed Python 3.10 to 3.13, for example: make run PYTHON=python3.12" >&2; exit 2; }; \
		$(PYTHON) tools/check_python.py $(VENV) $(ASKED); \
	else $(BIN)/python tools/check_python.py $(VENV) no; fi

# pip compiles every module one after the other (most of the install time); compileall does it
# on all cores. A file that does not compile is skipped, as pip skips it.
$(STAMP): requirements.txt pyproject.toml | python-check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null || true
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Execute every notebook (quick profile) into build/notebooks/ and print the results table.
run: $(STAMP)
	$(BIN)/dlhw run --profile quick

## Unit tests (not the slow ones) plus nbval over the notebooks on the smoke profile, then every
## number quoted in the prose checked against the recorded results. TEST_WORKERS processes.
test: $(STAMP)
	DLHW_PROFILE=smoke $(BIN)/python -m pytest tests notebooks -m "not slow" --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider -p no:randomly -n $(TEST_WORKERS) --dist loadfile
	$(BIN)/dlhw claims --quiet

## The unit tests alone (no notebooks, no slow tests), for the edit-test loop: under a minute.
test-fast: $(STAMP)
	DLHW_PROFILE=smoke $(BIN)/python -m pytest tests -m "not slow" -q -p no:cacheprovider -p no:randomly -n $(TEST_WORKERS)

## The slow tests: trainings, subprocess clusters, every notebook cell run twice, the browser.
test-slow: $(STAMP)
	DLHW_PROFILE=smoke $(BIN)/python -m pytest tests -m slow -p no:cacheprovider -n $(TEST_WORKERS) --dist load

## Students: JupyterLab on notebooks/ with this project's kernel (.venv's python3). The quick
## profile unless DLHW_PROFILE is set: "Run All" on the full profile takes hours here (Q1 alone
## about 110 minutes; each notebook's time is its wall-time row in docs/metrics.md's table).
LAB_EXTRA ?=
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	DLHW_PROFILE=$${DLHW_PROFILE:-quick} JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter \
		$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks $(AS_ROOT) $(LAB_EXTRA)

## Graders: static HTML of the committed notebooks with an index, readable offline (build/book/).
book: $(STAMP)
	$(BIN)/dlhw book

## Check the numbers quoted in the notebooks' prose and the README (see dlhw.claims).
claims: $(STAMP)
	$(BIN)/dlhw claims

## Re-render each notebook's "Answer in brief" from results/full/.
brief: $(STAMP)
	$(BIN)/dlhw brief

## Maintainers: mutation testing of the NumPy-level helpers ([tool.mutmut] in pyproject.toml; about
## 20 minutes on 2 cores; not part of CI). Survivors: mutmut results; equivalent ones are listed in
## tests/mutation_equivalents.md.
mutate: $(STAMP)
	$(BIN)/python -m pip install --quiet "mutmut>=3.8,<4"
	$(BIN)/mutmut run; $(BIN)/mutmut results

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## Maintainers: refresh the committed notebooks and results with the full profile. It says first
## how long the committed run took per notebook (hours on a CPU) and how to refresh one.
full: $(STAMP)
	@$(BIN)/python -c "from dlhw import results; p = results.load_all('full'); \
	t = ', '.join(f'{q} {v[\"wall_time_s\"] / 60:.0f} min' for q, v in p.items()); \
	print(f'make full re-executes every notebook on the full profile; the committed run took {t} \
	({sum(v[\"wall_time_s\"] for v in p.values()) / 3600:.1f} h) on its machine. One question: \
	$(BIN)/dlhw run Q7 --in-place')"
	$(BIN)/dlhw run --profile full --in-place && $(BIN)/dlhw results --profile full --update-readme && $(BIN)/dlhw claims --quiet
