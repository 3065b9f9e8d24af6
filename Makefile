# `make run` starts the embedded stack; `make test` runs every test tier. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20

.PHONY: run test demo poll synth bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: $(STAMP)  ## the embedded stack on http://127.0.0.1:8080 (PORT=… to change)
	$(BIN)/ottwatch serve $(if $(PORT),--port $(PORT))

test: $(STAMP)  ## unit, integration (moto), infra (CDK synth), e2e (ottwatch serve over HTTP)
	$(BIN)/python -m pytest

demo: $(STAMP)  ## replay a real GitHub outage through the whole stack, then exit
	$(BIN)/ottwatch demo

poll: $(STAMP)  ## one collection of the bundled catalog, JSON on stdout
	$(BIN)/ottwatch poll --once --json

synth: $(STAMP)  ## CloudFormation for the AWS deployment into cdk.out/ (no AWS account needed)
	$(BIN)/python infra/app.py

clean:
	rm -rf $(VENV) .build cdk.out .pytest_cache
