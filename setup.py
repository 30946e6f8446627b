"""Builds the JVM jars (the plugin's, the lab's) into their packages before the wheel is
assembled, if one is missing."""

import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
JARS = (ROOT / "spark_uwfq" / "jars" / "spark-uwfq-bridge.jar",
        ROOT / "workloads" / "uwfq_lab" / "jars" / "spark-uwfq-lab.jar")


class BuildPyWithJar(build_py):
    def run(self):
        if not all(jar.exists() for jar in JARS):
            # Needs pyspark (or SPARK_HOME) in the build environment: `make wheel` builds the
            # jar first so that an isolated build only has to copy it.
            built = subprocess.run([sys.executable, str(ROOT / "jvm-bridge" / "build.py")])
            if built.returncode != 0 and not getattr(self, "editable_mode", False):
                sys.exit("spark-uwfq: a jar is missing and could not be built here; "
                         "run `make jar` first, then build the wheel.")
            # An editable install points at the source tree: `make jar` fills it in later.
        super().run()


setup(cmdclass={"build_py": BuildPyWithJar})
