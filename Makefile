# Two entry points for a fresh machine (see README):
#   make demo   import the bundled model, print its IR and reference outputs
#   make test   lit + pytest, the whole suite (what CI runs)
# Both create the virtual environment when it is missing.

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JOBS   ?= $(shell nproc)

.PHONY: demo test lit pytest lint setup clean

setup: $(STAMP)

# The stamp depends on the files that decide what gets installed, so editing
# them reinstalls. torch is installed first and alone, from the pin, so that no
# later resolver step can pull a CUDA build.
$(STAMP): pyproject.toml constraints.txt tools/setup_system.sh
	bash tools/setup_system.sh
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=23"
	$(PY) -m pip install --quiet -c constraints.txt torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e ".[models,board,csim,dev]"
	# An editable install leaves the package as source: byte-compile it once, or with
	# PYTHONDONTWRITEBYTECODE set every command compiles it again when it starts.
	$(PY) -m compileall -q qnn_mlir runtime/qnn_runtime
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/python tools/demo.py

lit: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/lit -v tests/lit

pytest: $(STAMP)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/pytest -n $(JOBS) tests

test: $(STAMP)
	$(MAKE) --no-print-directory lit
	$(MAKE) --no-print-directory pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check qnn_mlir runtime tests tools

clean:
	rm -rf $(VENV) build
