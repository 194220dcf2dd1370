# The whole set-up on a fresh machine is `make demo` (run the product on its
# embedded defaults) and `make test` (run the tests). Both create .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test run bench eval train clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

demo: $(VENV)/.installed
	$(PY) -m bot demo

test: $(VENV)/.installed
	$(PY) -m pytest -q

run: $(VENV)/.installed
	$(PY) -m bot run

bench: $(VENV)/.installed
	$(PY) bench/bench_replay.py

eval: $(VENV)/.installed
	$(PY) eval/evaluate_claims.py

train: $(VENV)/.installed
	$(PY) -m bot.claims.train

clean:
	rm -rf $(VENV)
