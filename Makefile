# Two commands do all the set-up on a fresh machine with python3, pip and make:
#   make run    runs the bot (embedded SQLite, console adapter, bundled seeds)
#   make test   runs the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lock eval bench clean

$(STAMP): pyproject.toml requirements-dev.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv from the development lock file (runtime + test + bench peers)

run: $(STAMP)  ## run the bot on the defaults
	$(VENV)/bin/parley run

test: $(STAMP)  ## lint (ruff), type-check the core (mypy), then run every test (PostgreSQL tests skip, with a reason, when no server answers)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q; status=$$?; if [ $$status -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$status

eval: $(STAMP)  ## score answers and summaries with the shared evaluation kit
	$(PY) ../shared/eval/score.py --cmd $(VENV)/bin/parley --questions ../shared/eval/dev_questions.jsonl
	$(PY) ../shared/eval/score.py --cmd $(VENV)/bin/parley --docs ../shared/eval/dev_docs \
		--summaries ../shared/eval/dev_summaries.jsonl --questions ../shared/eval/dev_newdoc_questions.jsonl

bench: $(STAMP)  ## measure speed, recall and delivery against the peer tools (see docs/bench.md)
	$(VENV)/bin/parley bench --docs 1000 --json bench-results/bench-1000.json

lock:  ## re-pin both lock files after changing pyproject.toml
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra bench --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) build *.egg-info
