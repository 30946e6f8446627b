"""One stamp implementation for both jars: jvm-bridge/build.py writes, and spark_uwfq._jar /
uwfq_lab.jars check, the hash of spark_uwfq/_jar.py:sources_hash. The lab jar's stamp covers
the product's sources too (it is compiled against them); the product's does not cover the lab's."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from spark_uwfq import _jar
from uwfq_lab import jars as lab_jars

ROOT = Path(__file__).resolve().parents[1]


def _build_script():
    spec = importlib.util.spec_from_file_location("uwfq_build", ROOT / "jvm-bridge" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_build_stamps_with_the_checkers_function():
    build = _build_script()
    assert Path(build.stamp.sources_hash.__code__.co_filename) == Path(_jar.__file__)
    bridge = ROOT / "jvm-bridge"
    for spec in (build.PRODUCT, build.LAB):
        stamped = _jar.jar_stamp(spec.jar, spec.stamp_entry)["sources.sha256"]
        assert stamped == _jar.sources_hash(bridge, spec.stamped_roots), spec.name
    assert build.LAB.jar == lab_jars.LAB_JAR and build.LAB.stamp_entry == lab_jars.LAB_STAMP_ENTRY
    assert build.LAB.stamped_roots == lab_jars.LAB_ROOTS


def test_a_changed_source_makes_only_the_jars_built_from_it_stale(tmp_path, monkeypatch):
    bridge = tmp_path / "jvm-bridge"
    shutil.copytree(ROOT / "jvm-bridge" / "src", bridge / "src")
    monkeypatch.setattr(_jar, "_BRIDGE_DIR", bridge)
    monkeypatch.setattr(lab_jars, "_BRIDGE_DIR", bridge)
    assert _jar.jar_path() and lab_jars.lab_jar_path()  # a faithful copy: both fresh
    sim = bridge / "src" / "lab" / "java" / "dev" / "uwfq" / "sim" / "Main.java"
    sim.write_text(sim.read_text() + "\n// changed\n")
    assert _jar.jar_path()  # the plugin jar has no lab classes
    with pytest.raises(_jar.JarError, match="stale"):
        lab_jars.lab_jar_path()
    sim.write_text(sim.read_text().removesuffix("\n// changed\n"))
    policy = bridge / "src" / "main" / "java" / "dev" / "uwfq" / "policy" / "Policies.java"
    policy.write_text(policy.read_text() + "\n// changed\n")
    for check in (_jar.jar_path, lab_jars.lab_jar_path):
        with pytest.raises(_jar.JarError, match="stale"):
            check()
