# lit configuration for qnn-mlir: FileCheck tests of dialects, passes and translations.
# The tools (qnn-opt, qnn-translate, qnn-run, filecheck) come from the virtual
# environment's bin directory, which the Makefile puts first on PATH.
import os
import shutil
import sys

import lit.formats

config.name = "qnn-mlir"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
repo_root = os.path.abspath(os.path.join(config.test_source_root, "..", ".."))

config.environment["PATH"] = os.environ.get("PATH", "")
for name in ("HOME", "TMPDIR", "OMP_NUM_THREADS"):
    if name in os.environ:
        config.environment[name] = os.environ[name]
# Keep test output free of colour codes and of torch's thread oversubscription.
config.environment["NO_COLOR"] = "1"
config.environment.setdefault("OMP_NUM_THREADS", "1")

for tool in ("qnn-opt", "qnn-translate", "qnn-run", "filecheck"):
    if shutil.which(tool, path=config.environment["PATH"]) is None:
        lit_config.fatal(f"'{tool}' is not on PATH; run the tests through `make test`")

config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%tools", os.path.join(repo_root, "tools")))
config.substitutions.append(("%examples", os.path.join(repo_root, "examples")))
