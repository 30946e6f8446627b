"""Where the bridge jar lives, and whether it matches the Java sources beside it.

This file is also the build's stamp: jvm-bridge/build.py loads it by path (not through the
package, whose imports need pyspark) and writes ``sources_hash`` into each jar it builds, so the
hash that builds a jar and the hash that checks it are one function.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

JAR_NAME = "spark-uwfq-bridge.jar"
PLUGIN_CLASS = "dev.uwfq.UwfqPlugin"
PARTITIONER_EXTENSION = "dev.uwfq.partition.PartitionerExtension"
STAMP_ENTRY = "dev/uwfq/build.properties"
PRODUCT_ROOTS = ("main",)
_PACKAGE_DIR = Path(__file__).resolve().parent
_BRIDGE_DIR = _PACKAGE_DIR.parent / "jvm-bridge"
BUILD_HINT = "Build it with `make jar` (or `python jvm-bridge/build.py`) from the repository root."


class JarError(RuntimeError):
    """A spark-uwfq jar is missing or out of date."""


def source_files(bridge: Path, roots: tuple[str, ...] = PRODUCT_ROOTS) -> list[Path]:
    """The Java sources, then the resources, of each source root ``jvm-bridge/src/<root>/``."""
    files: list[Path] = []
    for root in roots:
        files += sorted((bridge / "src" / root / "java").rglob("*.java"))
        resources = bridge / "src" / root / "resources"
        if resources.exists():
            files += sorted(p for p in resources.rglob("*") if p.is_file())
    return files


def sources_hash(bridge: Path, roots: tuple[str, ...] = PRODUCT_ROOTS) -> str:
    """Hash of every source and resource of ``roots``, path included, in a stable order."""
    h = hashlib.sha256()
    for path in source_files(bridge, roots):
        h.update(str(path.relative_to(bridge)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def jar_stamp(jar: Path, entry: str = STAMP_ENTRY) -> dict[str, str]:
    """The build stamp inside a jar (version, spark.version, sources.sha256)."""
    with zipfile.ZipFile(jar) as zf:
        text = zf.read(entry).decode()
    return dict(
        line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#")
    )


def checked_jar(jar: Path, bridge: Path, roots: tuple[str, ...], entry: str = STAMP_ENTRY,
                check_stale: bool = True) -> str:
    """``jar`` as a string, if it exists and, where ``bridge`` (a source checkout) exists, was
    built from the sources of ``roots`` as they are now; else a JarError saying how to build it.
    An installed wheel has no sources and its jars are taken as built."""
    if not jar.is_file():
        raise JarError(f"spark-uwfq jar not found at {jar}. {BUILD_HINT}")
    if check_stale and bridge.is_dir():
        try:
            built_from = jar_stamp(jar, entry).get("sources.sha256")
        except (KeyError, zipfile.BadZipFile) as exc:
            raise JarError(f"{jar} is not a spark-uwfq jar ({exc}). {BUILD_HINT}") from exc
        if built_from != sources_hash(bridge, roots):
            raise JarError(
                f"{jar} is stale: the Java sources in {bridge} changed since it was built. "
                + BUILD_HINT
            )
    return str(jar)


def jar_path(check_stale: bool = True) -> str:
    """Absolute path of the bridge jar shipped inside this package.

    In a source checkout (``jvm-bridge/`` beside the package) the jar must also match the Java
    sources; an installed wheel has no sources and is taken as built.
    """
    return checked_jar(_PACKAGE_DIR / "jars" / JAR_NAME, _BRIDGE_DIR, PRODUCT_ROOTS,
                       check_stale=check_stale)
