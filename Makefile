# Two commands do all the set-up on a fresh machine (Python 3.11 + JDK 17):
#   make demo   - create .venv, install, build the jar, run the main demo
#   make test   - the same set-up, then the whole test suite (what CI runs)
# Re-running is fast: each step is redone only when its inputs change.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch 2.13.0; set TORCH_SPEC to a CUDA build on GPU machines.
TORCH_SPEC ?= torch==2.13.0
JAR := spark_uwfq/jars/spark-uwfq-bridge.jar
# The lab's classes (simulator, benchmarks, the replay's UDF), compiled against the plugin jar.
LAB_JAR := workloads/uwfq_lab/jars/spark-uwfq-lab.jar
JAVA_SOURCES := $(shell find jvm-bridge/src -type f 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: venv jar demo test wheel bench clean

venv: $(BIN)/.installed

$(BIN)/.installed: pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[llm,dev]"
	touch $@

jar: $(JAR) $(LAB_JAR)

# One run of build.py builds both (each only when its stamp is stale): a grouped target.
$(JAR) $(LAB_JAR) &: $(BIN)/.installed $(JAVA_SOURCES) spark_uwfq/_version.py spark_uwfq/_jar.py jvm-bridge/build.py
	$(BIN)/python jvm-bridge/build.py

# The main demo: a short multi-user scenario under three policies (2-4 minutes on 2 cores);
# each session's Spark UI address is printed: its UWFQ tab shows the replay live.
DEMO_ARGS ?= demo --policies fair,ujf,uwfq --scale 0.5 --ui

demo: jar
	$(BIN)/uwfq replay $(DEMO_ARGS)

test: jar
	$(BIN)/python -m pytest $(PYTEST_ARGS)

wheel: jar
	$(BIN)/python -m build --wheel --outdir dist .

clean:
	rm -rf $(VENV) dist build *.egg-info $(JAR) $(LAB_JAR)
