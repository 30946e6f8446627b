"""Compile the JVM bridge with plain javac against the installed pyspark's jars.

No Maven repository is needed: Spark's own jars are the whole classpath. Two jars:
- the product (src/main/java: plugin, policies, partitioner, events) into spark_uwfq/jars/;
- the lab (src/lab/java: simulator, ordering benchmarks, the replay's UDF), compiled against the
  product jar, into workloads/uwfq_lab/jars/.
Each lands inside its Python package so that wheels ship it, and carries a build stamp (a hash
of its Java sources, from spark_uwfq/_jar.py, and the Spark version) that spark_uwfq.jar_path()
and uwfq_lab.jars.lab_jar_path() check.

Usage: python jvm-bridge/build.py [--force]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

BRIDGE = Path(__file__).resolve().parent
ROOT = BRIDGE.parent


def _load_stamp_module():
    # The one stamp implementation, spark_uwfq/_jar.py, loaded by path: importing the package
    # would import pyspark and pandas, which an isolated wheel build may not have.
    spec = importlib.util.spec_from_file_location("_uwfq_jar_stamp", ROOT / "spark_uwfq" / "_jar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stamp = _load_stamp_module()


@dataclass(frozen=True)
class JarSpec:
    """One jar: the source roots it is compiled from (``src/<root>/``), the roots whose
    sources its stamp covers, where it goes and where its stamp lives inside it."""
    name: str
    roots: tuple[str, ...]
    stamped_roots: tuple[str, ...]
    jar: Path
    stamp_entry: str


PRODUCT = JarSpec("bridge", ("main",), stamp.PRODUCT_ROOTS,
                  ROOT / "spark_uwfq" / "jars" / stamp.JAR_NAME, stamp.STAMP_ENTRY)
# The lab's classes (simulator, benchmarks, the replay's UDF) compile against the product jar,
# so their stamp covers both roots: a product change rebuilds the lab jar too.
LAB = JarSpec("lab", ("lab",), ("main", "lab"),
              ROOT / "workloads" / "uwfq_lab" / "jars" / "spark-uwfq-lab.jar",
              "dev/uwfq/lab/build.properties")


def spark_jars_dir() -> Path:
    """The jars/ folder of the pyspark that this interpreter imports (or of SPARK_HOME)."""
    home = os.environ.get("SPARK_HOME")
    if home and (Path(home) / "jars").is_dir():
        return Path(home) / "jars"
    try:
        import pyspark
    except ImportError:
        sys.exit(
            "jvm-bridge/build.py: pyspark is not importable from "
            f"{sys.executable}. Install the project first (make venv) or set SPARK_HOME."
        )
    jars = Path(pyspark.__file__).parent / "jars"
    if not jars.is_dir():
        sys.exit(f"jvm-bridge/build.py: {jars} does not exist; is pyspark installed completely?")
    return jars


def spark_version(jars: Path) -> str:
    for jar in jars.glob("spark-core_*.jar"):
        return jar.stem.rsplit("-", 1)[-1]
    return "unknown"


def package_version() -> str:
    ns: dict[str, str] = {}
    exec((ROOT / "spark_uwfq" / "_version.py").read_text(), ns)
    return ns["__version__"]


def build_jar(spec: JarSpec, spark_jars: Path, extra_classpath: list[str],
              force: bool = False) -> Path:
    digest = stamp.sources_hash(BRIDGE, spec.stamped_roots)
    if spec.jar.exists() and not force:
        try:
            if stamp.jar_stamp(spec.jar, spec.stamp_entry).get("sources.sha256") == digest:
                print(f"jvm-bridge: {spec.jar.relative_to(ROOT)} is up to date")
                return spec.jar
        except (KeyError, zipfile.BadZipFile):
            pass
    javac = shutil.which("javac")
    if javac is None:
        sys.exit("jvm-bridge/build.py: javac not found. Install a JDK 17 (e.g. openjdk-17-jdk-headless).")
    sources = [p for p in stamp.source_files(BRIDGE, spec.roots) if p.suffix == ".java"]
    resources = [(root, p) for root in spec.roots
                 for p in stamp.source_files(BRIDGE, (root,)) if p.suffix != ".java"]
    classpath = [str(spark_jars / "*"), *extra_classpath]
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        classes.mkdir()
        cmd = [javac, "--release", "17", "-nowarn", "-encoding", "UTF-8",
               "-cp", os.pathsep.join(classpath), "-d", str(classes), *map(str, sources)]
        print(f"jvm-bridge: compiling {len(sources)} Java files ({spec.name}) against "
              f"{', '.join(classpath)}")
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            sys.exit(f"jvm-bridge/build.py: javac failed for the {spec.name} jar (see above)")
        spec.jar.parent.mkdir(parents=True, exist_ok=True)
        tmp_jar = spec.jar.with_suffix(".jar.tmp")
        with zipfile.ZipFile(tmp_jar, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: spark-uwfq\n")
            for f in sorted(classes.rglob("*.class")):
                zf.write(f, str(f.relative_to(classes)))
            for root, f in resources:
                zf.write(f, str(f.relative_to(BRIDGE / "src" / root / "resources")))
            zf.writestr(
                spec.stamp_entry,
                f"version={package_version()}\n"
                f"spark.version={spark_version(spark_jars)}\n"
                f"sources.sha256={digest}\n",
            )
        tmp_jar.replace(spec.jar)
    print(f"jvm-bridge: built {spec.jar.relative_to(ROOT)}")
    return spec.jar


def build(force: bool = False) -> list[Path]:
    """The product jar against Spark's jars, then the lab jar against both."""
    spark_jars = spark_jars_dir()
    product = build_jar(PRODUCT, spark_jars, [], force)
    return [product, build_jar(LAB, spark_jars, [str(product)], force)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build(force=parser.parse_args().force)


if __name__ == "__main__":
    main()
