# mia-edu: the two commands are `make lab` (open the course) and `make test` (pass every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8888
NB     ?= 02
# root (containers, CI) must opt in explicitly; everybody else gets the plain command
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test setup html app bench clean assignments grade teaching slides

# Create the venv once (Python >= 3.10), install requirements and the package (editable).
# Re-running reuses the venv; it reinstalls only when requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "mia-edu needs Python >= 3.10, found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

lab: setup  ## open the course in JupyterLab
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.port=$(PORT) \
		--LabApp.extension_manager=readonly $(AS_ROOT)

test: setup  ## lint, then every test (notebooks executed, browser tests included)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

html: setup  ## execute every notebook, render HTML handouts into build/html (index.html in course order)
	$(PY) tools/build_html.py --out build/html

app: setup  ## open notebook NB (default 02) as a Voila app for a lecture: make app NB=05
	@nb=$$(ls notebooks/$(NB)_*.ipynb 2>/dev/null | head -n 1); \
	test -n "$$nb" || { echo "no notebook notebooks/$(NB)_*.ipynb"; exit 1; }; \
	token=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(24))"); \
	echo "== Voila: $$nb on http://127.0.0.1:$(PORT)/?token=$$token (only this machine; the token keeps other local users out)"; \
	$(VENV)/bin/voila "$$nb" --port=$(PORT) --Voila.ip=127.0.0.1 --Voila.token="$$token" --ServerApp.port_retries=0

assignments: setup  ## nbgrader: source + student release of every notebook with exercise checks, in build/nbgrader
	$(PY) tools/assignments.py build

grade: setup  ## autograde build/nbgrader/submitted/*/$(A) and print the scores: make grade A=01_membership_game
	@test -n "$(A)" || { echo "usage: make grade A=01_membership_game"; exit 1; }
	$(PY) tools/assignments.py grade $(A)

teaching: setup  ## re-apply quizzes, checks, difficulty marks, prompts and slide metadata to the notebooks
	$(PY) tools/teaching.py apply

slides: setup  ## present notebook NB (default 02) as live RISE slides: make slides NB=05
	@nb=$$(cd notebooks && ls $(NB)_*.ipynb 2>/dev/null | head -n 1); \
	test -n "$$nb" || { echo "no notebook notebooks/$(NB)_*.ipynb"; exit 1; }; \
	echo "== RISE: http://127.0.0.1:$(PORT)/rise/$$nb (the token is printed below)"; \
	$(VENV)/bin/jupyter lab --no-browser --ServerApp.root_dir=notebooks --ServerApp.port=$(PORT) \
		--ServerApp.ip=127.0.0.1 --LabApp.extension_manager=readonly $(AS_ROOT)

bench: setup  ## speed benchmarks (ratios against the naive way, measured in the same run)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf build .pytest_cache
