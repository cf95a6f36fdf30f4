# The commands of the README's quick start. Each creates the virtual environment .venv
# (Python >= 3.11) and installs gpusim into it with its test tools on first use, then runs.
# `make test` leaves out the cases marked slow (it says how many); `make test-slow` runs them.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: quickstart test test-slow

quickstart: $(STAMP)
	$(VENV)/bin/gpusim run scenarios/quickstart.toml

test: $(STAMP)
	$(VENV)/bin/python -m pytest

test-slow: $(STAMP)
	$(VENV)/bin/python -m pytest -m slow

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gpusim needs Python >= 3.11; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)
