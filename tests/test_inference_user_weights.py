"""The shared engine reads user weights by the scheduler's rules: the same files and specs give
the same weights as dev.uwfq.policy.Weights (run in a JVM beside the test), a bad file keeps the
last good weights, and the watcher hands each new good content to the engine."""

from __future__ import annotations

import glob
import os
import threading

import pytest

from inference_udf.user_weights import WeightsFile, parse_properties, parse_spec

FILES = [
    "alice=2\nbob=1\n",
    "alice=2\r\nbob=0.5\r\n",
    "# comment\n! another\n  alice : 3\n bob\\\n   =4\ncarol 5\n",
    "alice.maxShare=0.5\n*.minShare=2\nbob=2\n",
    "alice=1e9\nbob=0.0000001\ncarol=Infinity\n",
    "al\\u0069ce=2\na\\=b=3\nsp\\ ace=4\n",
    "alice=2\nbob=x\n",                     # half-written: refused whole
    "alice=2\nbob=\n",
    "alice=-1\n",
    "alice=NaN\n",
    "=2\n",
    "",
    "# only a comment\n",
    "alice=\\u12\n",                         # malformed escape: not a properties file
    "alice=1_000\n",
    "alice = 7 \n\n\nbob:8\n",
]

SPECS = ["alice:2,bob:1", "alice:2,bob:x,carol:3", " a:b:2 , ,bob:-1", "alice:1e9,bob:0",
         "nocolon,alice:0.0001", ""]


@pytest.fixture(scope="module")
def jvm_weights():
    """dev.uwfq.policy.Weights in a plain JVM (no Spark), through py4j."""
    from py4j.java_gateway import JavaGateway, GatewayParameters, launch_gateway

    import pyspark
    from spark_uwfq import jar_path

    jars = glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "*.jar"))
    port = launch_gateway(classpath=os.pathsep.join([jar_path(), *jars]), die_on_exit=True)
    gateway = JavaGateway(gateway_parameters=GatewayParameters(port=port))
    yield gateway.jvm.dev.uwfq.policy.Weights
    gateway.shutdown()


def test_files_give_the_schedulers_weights(jvm_weights, tmp_path):
    for i, text in enumerate(FILES):
        path = tmp_path / f"w{i}.properties"
        path.write_text(text)
        java = jvm_weights.of("", str(path))
        accepted = java.reload()
        ours = WeightsFile(str(path)).reload()
        assert (ours is not None) == accepted, text
        if accepted:
            assert ours == dict(java.snapshot()), text


def test_specs_give_the_schedulers_weights(jvm_weights):
    for spec in SPECS:
        assert parse_spec(spec) == dict(jvm_weights.parse(spec, "test")), spec


def test_a_bad_file_keeps_the_last_good_weights_and_a_fix_is_read(tmp_path):
    path = tmp_path / "weights.properties"
    path.write_text("alice=2\nbob=1\n")
    received, lock = [], threading.Lock()

    def apply(weights):
        with lock:
            received.append(weights)

    reader = WeightsFile(str(path))
    assert reader.reload() == {"alice": 2.0, "bob": 1.0}
    path.write_text("alice=2\nbob=")                       # half-written
    assert reader.reload() is None
    path.unlink()
    assert reader.reload() is None
    path.write_bytes(b"x" * (2 << 20))                     # too large
    assert reader.reload() is None
    path.write_text("alice=1\nbob=3\n")
    first = reader.watch(apply, interval_s=0.05)
    assert first.wait(10)
    with lock:
        assert received == [{"alice": 1.0, "bob": 3.0}]


def test_properties_syntax_follows_java():
    assert parse_properties("a=1\\\n   2\nb\\\\=3\n") == {"a": "12", "b\\": "3"}
    assert parse_properties("k\\tx = v\\n") == {"k\tx": "v\n"}
    with pytest.raises(ValueError):
        parse_properties("a=\\uZZZZ")
