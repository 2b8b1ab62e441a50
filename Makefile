# netvis-kit: every workflow is a target here. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PART5 ?= 1
# PART5=0: `make release` leaves Part 5 (extra credit) out of the student notebook.
STAMP := $(VENV)/.installed
REFERENCES := build/references/manifest.json
GRADES := build/grades

.DEFAULT_GOAL := all
.PHONY: all help venv data check references release answer-key examples grade-examples test test-fast bench gradescope student-bundle

all: venv data check references release grade-examples  ## The main job: set up, fetch data, regenerate, grade the samples.

help:  ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

venv: $(STAMP)  ## Create .venv with the pinned requirements and the kit (editable).
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

data:  ## Fetch and verify the images and weights (NETVIS_DATA_MIRROR for offline).
	./get_datasets.sh

check: venv data  ## Load data and model; report accuracy; save an image grid.
	$(PY) -m netvis --figure build/images.png

$(REFERENCES): $(STAMP) solutions/NetworkVisualization.ipynb autograder/references.py autograder/hidden.py $(wildcard assignment/netvis/checks/*.py) | data
	$(PY) -m autograder references

references: $(REFERENCES)  ## Regenerate the reference tensors from the solution notebook.

release: venv  ## Regenerate assignment/NetworkVisualization.ipynb from the solution source (nbgrader); PART5=0 leaves Part 5 (extra credit) out.
	PART5=$(PART5) $(PY) -m autograder release

answer-key: references  ## Execute the solution notebook into build/answer_key/ (.ipynb and .html).
	$(PY) -m autograder answer-key

examples: venv  ## Rebuild examples/submissions/ from the solution and tests/corpus/.
	$(PY) -m autograder examples

grade-examples: references  ## Grade examples/submissions/ into build/grades/.
	$(PY) -m autograder grade examples/submissions --out $(GRADES) --workers 2

# Two pytest-xdist workers of one torch thread each. `make test` is one session that hands out whole
# modules (their module fixtures are built once), the longest first: tests/conftest.py orders them and
# keeps the two heavy modules, which each use both cores, on one worker. The fast tier hands out single
# tests, which balances its short modules better (90 s against 106 s in whole modules).
PYTEST := OMP_NUM_THREADS=1 $(PY) -m pytest -n 2

test: venv data references  ## Run the whole test suite, as CI does (docs/performance.md says how long it takes).
	$(PYTEST) --dist loadscope --no-loadscope-reorder

test-fast: venv data references  ## The everyday tier: everything not marked slow, on both cores.
	$(PYTEST) -m "not slow"

bench: references  ## Measure grading, blur, class visualisation and the notebook; write build/bench.json.
	$(PY) -m autograder bench

student-bundle: release  ## Write build/netvis_student.zip for students (BUNDLE_URL=... adds the Colab notebook).
	$(PY) -m autograder student-bundle --out build/netvis_student.zip --url "$(BUNDLE_URL)"

gradescope: references  ## Write the Gradescope autograder bundle to build/gradescope_autograder.zip.
	$(PY) -m autograder gradescope-bundle --out build/gradescope_autograder.zip
