"""No method of the plugin that changes state is callable from SQL; test hooks need a testing conf."""

from __future__ import annotations

import zipfile

import pytest

import spark_uwfq

# Public static methods whose arguments SQL can write (java_method / reflect take literals
# only): each must only read. Anything else that SQL could reach must take a SparkContext.
READ_ONLY = {
    "dev.uwfq.Uwfq.installed", "dev.uwfq.Uwfq.version", "dev.uwfq.Uwfq.builtAgainstSpark",
    "dev.uwfq.Uwfq.installFailure", "dev.uwfq.Uwfq.status", "dev.uwfq.Uwfq.policyFailures",
    "dev.uwfq.Uwfq.events", "dev.uwfq.Uwfq.recentEvents",
    "dev.uwfq.Uwfq.partitionDecisions",
    "dev.uwfq.spark.SchedulerHook.status", "dev.uwfq.spark.SchedulerHook.policyFailures",
    "dev.uwfq.spark.SchedulerHook.isInstalled", "dev.uwfq.spark.SchedulerHook.pool",
    "dev.uwfq.partition.DecisionLog.asTsv", "dev.uwfq.partition.QueryInputBytes.size",
    "dev.uwfq.partition.SplitSize.openCost", "dev.uwfq.partition.TaskCount.forEstimate",
    "dev.uwfq.partition.TaskCount.forRequest", "dev.uwfq.policy.Weights.uniform",
    "dev.uwfq.policy.Weights.of", "dev.uwfq.policy.Weights.parse",
    "dev.uwfq.policy.PolicyConfig.defaults", "dev.uwfq.policy.SchedulingPolicy$TaskSetInfo.key",
    "dev.uwfq.identity.IdentityRules.current", "dev.uwfq.identity.SessionChannel.problem",
    "dev.uwfq.identity.ProtectedKeys.problem", "dev.uwfq.partition.DecisionLog.recorded",
    "dev.uwfq.partition.DecisionLog.newest", "dev.uwfq.policy.PreemptionPlanner$Settings.off",
    "dev.uwfq.policy.ShareLimits$Limit.parse", "dev.uwfq.policy.ShareLimits.of",
    "dev.uwfq.policy.ShareLimits.isLimitKey", "dev.uwfq.policy.ShareLimits.none",
    "dev.uwfq.Settings.tableJson", "dev.uwfq.identity.CostHint.parse",
    "dev.uwfq.policy.JsonWriter.quote", "dev.uwfq.spark.SchedulerHook.orderTimes", "dev.uwfq.spark.SchedulerHook.submissionTimes",
}
SQL_TYPES = {"boolean", "byte", "short", "int", "long", "float", "double", "java.lang.String",
             "java.lang.Boolean", "java.lang.Integer", "java.lang.Long", "java.lang.Double"}


def test_sql_reaches_only_read_only_methods(spark):
    jvm = spark.sparkContext._jvm
    reachable = set()
    with zipfile.ZipFile(spark_uwfq.jar_path()) as jar:
        names = [n[:-6].replace("/", ".") for n in jar.namelist()
                 if n.startswith("dev/uwfq/") and n.endswith(".class")]
    loader = jvm.dev.uwfq.Uwfq._java_lang_class.getClassLoader()
    for name in names:
        cls = jvm.java.lang.Class.forName(name, False, loader)
        if not jvm.java.lang.reflect.Modifier.isPublic(cls.getModifiers()) or cls.isEnum():
            continue  # an enum's values()/valueOf() only read
        for m in cls.getDeclaredMethods():
            mods = m.getModifiers()
            if not (jvm.java.lang.reflect.Modifier.isStatic(mods)
                    and jvm.java.lang.reflect.Modifier.isPublic(mods)) or m.isSynthetic():
                continue
            if all(t.getName() in SQL_TYPES for t in m.getParameterTypes()):
                reachable.add(f"{name}.{m.getName()}")
    assert reachable - READ_ONLY == set(), "SQL could call these; make them take a SparkContext"
    assert "dev.uwfq.Uwfq.status" in reachable  # the scan itself sees the facade


def test_the_failure_hook_needs_the_testing_conf(spark):
    jvm, sc = spark.sparkContext._jvm, spark.sparkContext._jsc.sc()
    jvm.dev.uwfq.Uwfq.injectPolicyFailure(sc, False)  # this session has the testing conf
    with pytest.raises(Exception, match="spark.uwfq.testing.enabled"):
        jvm.dev.uwfq.Uwfq.injectPolicyFailure(None, True)
