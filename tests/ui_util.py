"""Helpers for tests that use Spark's web UI as a person would: free loopback ports, HTTP."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 30) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def get_json(url: str) -> dict:
    return json.loads(get(url))


def reachable(url: str) -> bool:
    try:
        get(url, timeout=5)
        return True
    except (urllib.error.URLError, OSError):
        return False


class HistoryServer:
    """Spark's History Server (its class from pyspark's jars, the bridge jar beside them) over
    ``log_dir``, on a free loopback port, in its own process group; ``stop()`` ends that group."""

    def __init__(self, log_dir: str, jar: str):
        import os
        import subprocess
        import sys
        from pathlib import Path

        import pyspark

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        jars = Path(pyspark.__file__).parent / "jars"
        env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
        self.log = open(Path(log_dir).parent / "history-server.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["java", "-Xmx512m", "-cp", f"{jars}/*{os.pathsep}{jar}",
             f"-Dspark.history.fs.logDirectory=file://{log_dir}",
             f"-Dspark.history.ui.port={self.port}", "-Dspark.history.fs.update.interval=1s",
             "org.apache.spark.deploy.history.HistoryServer"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        del sys

    def app_page(self, app_id: str, path: str, timeout: float = 120) -> str:
        """The page once the History Server has loaded the application (it scans in the background)."""
        import time

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the History Server exited ({self.proc.returncode})"
            try:
                apps = get_json(f"{self.url}/api/v1/applications")
                if any(a["id"] == app_id for a in apps):
                    return get(f"{self.url}/history/{app_id}/{path}", timeout=60)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = exc
            time.sleep(0.5)
        raise AssertionError(f"{self.url}/history/{app_id}/{path} not served in {timeout} s: {last}")

    def stop(self) -> None:
        import os
        import signal

        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, OSError):
            pass
        except Exception:  # noqa: BLE001 - it would not stop: make sure it is gone
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
