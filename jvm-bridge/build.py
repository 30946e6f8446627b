"""Compile the JVM bridge with plain javac against the installed pyspark's jars.

No Maven repository is needed: Spark's own jars are the whole classpath. The jar lands inside
the Python package (spark_uwfq/jars/) so that wheels ship it, and carries a build stamp
(a hash of the Java sources and the Spark version) that spark_uwfq.jar_path() checks.

Usage: python jvm-bridge/build.py [--force]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

BRIDGE = Path(__file__).resolve().parent
ROOT = BRIDGE.parent
SOURCES = BRIDGE / "src" / "main" / "java"
RESOURCES = BRIDGE / "src" / "main" / "resources"
JAR = ROOT / "spark_uwfq" / "jars" / "spark-uwfq-bridge.jar"
STAMP_ENTRY = "dev/uwfq/build.properties"


def source_files() -> list[Path]:
    files = sorted(SOURCES.rglob("*.java"))
    if RESOURCES.exists():
        files += sorted(p for p in RESOURCES.rglob("*") if p.is_file())
    return files


def sources_hash() -> str:
    """Hash of every Java source and resource, path included, in a stable order."""
    h = hashlib.sha256()
    for path in source_files():
        h.update(str(path.relative_to(BRIDGE)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def read_stamp(jar: Path) -> dict[str, str]:
    with zipfile.ZipFile(jar) as zf:
        text = zf.read(STAMP_ENTRY).decode()
    return dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )


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


def build(force: bool = False) -> Path:
    digest = sources_hash()
    if JAR.exists() and not force:
        try:
            if read_stamp(JAR).get("sources.sha256") == digest:
                print(f"jvm-bridge: {JAR.relative_to(ROOT)} is up to date")
                return JAR
        except (KeyError, zipfile.BadZipFile):
            pass
    javac = shutil.which("javac")
    if javac is None:
        sys.exit("jvm-bridge/build.py: javac not found. Install a JDK 17 (e.g. openjdk-17-jdk-headless).")
    jars = spark_jars_dir()
    java_files = [str(p) for p in sorted(SOURCES.rglob("*.java"))]
    with tempfile.TemporaryDirectory() as tmp:
        classes = Path(tmp) / "classes"
        classes.mkdir()
        cmd = [javac, "--release", "17", "-nowarn", "-encoding", "UTF-8",
               "-cp", str(jars / "*"), "-d", str(classes), *java_files]
        print(f"jvm-bridge: compiling {len(java_files)} Java files against {jars}")
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            sys.exit("jvm-bridge/build.py: javac failed (see above)")
        JAR.parent.mkdir(parents=True, exist_ok=True)
        tmp_jar = JAR.with_suffix(".jar.tmp")
        with zipfile.ZipFile(tmp_jar, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: spark-uwfq\n")
            for f in sorted(classes.rglob("*.class")):
                zf.write(f, str(f.relative_to(classes)))
            if RESOURCES.exists():
                for f in sorted(p for p in RESOURCES.rglob("*") if p.is_file()):
                    zf.write(f, str(f.relative_to(RESOURCES)))
            zf.writestr(
                STAMP_ENTRY,
                f"version={package_version()}\n"
                f"spark.version={spark_version(jars)}\n"
                f"sources.sha256={digest}\n",
            )
        tmp_jar.replace(JAR)
    print(f"jvm-bridge: built {JAR.relative_to(ROOT)}")
    return JAR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    build(force=parser.parse_args().force)


if __name__ == "__main__":
    main()
