"""Dependencies run one way: the lab (uwfq_lab, benchmarks) imports the product (spark_uwfq,
inference_udf, the bridge jar), never the reverse. Checked by importing every product module in
a fresh interpreter where the lab cannot be imported, and by reading every product module's
import statements (imports inside functions only run when called)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import spark_uwfq

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("spark_uwfq", "inference_udf")
LAB_PACKAGES = ("uwfq_lab", "workloads", "benchmarks")

# Runs in a fresh interpreter: the lab's folders leave sys.path, a finder ahead of every other
# (the editable install's included) refuses the lab's names and notes who asked, then every
# product module is imported; then the CLI builds its parser without the lab's commands.
_IMPORT_ALL = r"""
import importlib, json, os, pkgutil, sys, traceback

ROOT, PRODUCT, LAB = sys.argv[1], sys.argv[2].split(","), tuple(sys.argv[3].split(","))
sys.path[:] = [p for p in sys.path
               if os.path.abspath(p or ".") not in (os.path.join(ROOT, "workloads"),
                                                    os.path.join(ROOT, "benchmarks"))]
refused = []

class LabBlocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in LAB:
            importer = next((f.f_globals.get("__name__") for f in _frames()
                             if f.f_globals.get("__name__", "").split(".")[0] in PRODUCT), None)
            refused.append([name, importer])
            raise ImportError(f"{name} is a lab module; the product must not import it")
        return None

def _frames():
    frame = sys._getframe(1)
    while frame is not None:
        yield frame
        frame = frame.f_back

sys.meta_path.insert(0, LabBlocker())
imported, failed = [], {}
for top in PRODUCT:
    package = importlib.import_module(top)
    imported.append(top)
    for info in pkgutil.walk_packages(package.__path__, top + "."):
        try:
            importlib.import_module(info.name)
            imported.append(info.name)
        except Exception:
            failed[info.name] = traceback.format_exc(limit=3)
walk_refused = list(refused)
# The CLI asks for its plugins' commands by entry point; here they are refused like any lab name.
from spark_uwfq.cli import build_parser
commands = sorted(build_parser()._subparsers._group_actions[0].choices)
print(json.dumps({"imported": imported, "failed": failed, "refused": walk_refused,
                  "commands": commands}))
"""


def _import_everything() -> dict:
    out = subprocess.run([sys.executable, "-c", _IMPORT_ALL, str(ROOT), ",".join(PRODUCT_PACKAGES),
                          ",".join(LAB_PACKAGES)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT / "tests")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_product_module_imports_without_the_lab():
    result = _import_everything()
    assert result["refused"] == [], f"product modules imported the lab: {result['refused']}"
    assert result["failed"] == {}, "\n".join(result["failed"].values())
    # The walk reached the whole product, engine and CLI included.
    assert {"spark_uwfq.configure", "spark_uwfq.cli", "spark_uwfq.commands.info",
            "inference_udf.engine", "inference_udf.udf"} <= set(result["imported"])
    # Without the lab the CLI still has the product's own commands, and not the lab's.
    assert {"demo", "info"} <= set(result["commands"])
    assert not {"replay", "simulate", "bench-llm"} & set(result["commands"])


def _imported_names(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                  "import_module", "__import__")):
            yield node.args[0].value


def test_no_product_module_names_a_lab_module_anywhere():
    files = [f for top in PRODUCT_PACKAGES for f in sorted((ROOT / top).rglob("*.py"))]
    assert len(files) > 30
    offenders = [f"{f.relative_to(ROOT)}: {name}" for f in files
                 for name in _imported_names(ast.parse(f.read_text(), str(f)))
                 if name.split(".")[0] in LAB_PACKAGES]
    assert offenders == []


def test_the_plugin_jar_carries_no_lab_classes():
    with zipfile.ZipFile(spark_uwfq.jar_path()) as jar:
        names = jar.namelist()
    assert any(n.startswith("dev/uwfq/policy/") for n in names)
    lab = [n for n in names if n.startswith(("dev/uwfq/sim/", "dev/uwfq/bench/",
                                             "dev/uwfq/workload/"))]
    assert lab == []
