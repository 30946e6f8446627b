"""Where the bridge jar lives, and whether it matches the Java sources beside it."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

JAR_NAME = "spark-uwfq-bridge.jar"
PLUGIN_CLASS = "dev.uwfq.UwfqPlugin"
PARTITIONER_EXTENSION = "dev.uwfq.partition.PartitionerExtension"
_STAMP_ENTRY = "dev/uwfq/build.properties"
_PACKAGE_DIR = Path(__file__).resolve().parent
_BRIDGE_DIR = _PACKAGE_DIR.parent / "jvm-bridge"


class JarError(RuntimeError):
    """The bridge jar is missing or out of date."""


def _bridge_sources_hash(bridge: Path) -> str:
    # Must match jvm-bridge/build.py: sources then resources, path and bytes.
    h = hashlib.sha256()
    files = sorted((bridge / "src" / "main" / "java").rglob("*.java"))
    resources = bridge / "src" / "main" / "resources"
    if resources.exists():
        files += sorted(p for p in resources.rglob("*") if p.is_file())
    for path in files:
        h.update(str(path.relative_to(bridge)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def jar_stamp(jar: Path) -> dict[str, str]:
    """The build stamp inside a bridge jar (version, spark.version, sources.sha256)."""
    with zipfile.ZipFile(jar) as zf:
        text = zf.read(_STAMP_ENTRY).decode()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def jar_path(check_stale: bool = True) -> str:
    """Absolute path of the bridge jar shipped inside this package.

    In a source checkout (``jvm-bridge/`` beside the package) the jar must also match the Java
    sources; an installed wheel has no sources and is taken as built.
    """
    jar = _PACKAGE_DIR / "jars" / JAR_NAME
    build_hint = "Build it with `make jar` (or `python jvm-bridge/build.py`) from the repository root."
    if not jar.is_file():
        raise JarError(f"spark-uwfq bridge jar not found at {jar}. {build_hint}")
    if check_stale and _BRIDGE_DIR.is_dir():
        try:
            built_from = jar_stamp(jar).get("sources.sha256")
        except (KeyError, zipfile.BadZipFile) as exc:
            raise JarError(f"{jar} is not a spark-uwfq bridge jar ({exc}). {build_hint}") from exc
        if built_from != _bridge_sources_hash(_BRIDGE_DIR):
            raise JarError(
                f"{jar} is stale: the Java sources in {_BRIDGE_DIR} changed since it was built. "
                + build_hint
            )
    return str(jar)
