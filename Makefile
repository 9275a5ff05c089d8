# Thin aliases for the README's commands. Each creates .venv and installs when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CELL_TIMEOUT ?= 600

.PHONY: install run test lint full claims brief lab book

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Execute every notebook (quick profile) into build/notebooks/ and print the results table.
run: $(STAMP)
	$(BIN)/dlhw run --profile quick

## Unit tests plus nbval over the notebooks on the smoke profile, then every number quoted in
## the prose checked against the recorded results.
test: $(STAMP)
	DLHW_PROFILE=smoke $(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider
	$(BIN)/dlhw claims --quiet

## Students: JupyterLab on notebooks/ with this project's kernel (.venv's python3). The quick
## profile unless DLHW_PROFILE is set: "Run All" on the full profile takes about half an hour.
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

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## Maintainers: refresh the committed notebooks and results with the full profile.
full: $(STAMP)
	$(BIN)/dlhw run --profile full --in-place && $(BIN)/dlhw results --profile full --update-readme && $(BIN)/dlhw claims --quiet
