"""uwfq demo: a local SparkSession with the plugin, jobs for two users."""

from __future__ import annotations


def register(sub) -> None:
    parser = sub.add_parser("demo", help="start local Spark with the plugin and run two users' jobs")
    parser.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    parser.set_defaults(run=run)


def _user_jobs(spark, user: str, rows: int, count: int, results: dict) -> None:
    import spark_uwfq as uwfq

    done = []
    with uwfq.user(spark, user):
        for i in range(count):
            with uwfq.job(spark, key=f"{user}-sum"):
                total = spark.range(rows, numPartitions=4).selectExpr("sum(id * id) AS s").first()
                done.append(total.s)
    results[user] = done


def run(args) -> int:
    from pyspark import InheritableThread

    import spark_uwfq as uwfq
    from spark_uwfq.session import local_session

    spark = local_session(args.master, app_name="uwfq-demo", conf={"spark.ui.enabled": "true"})
    try:
        print(f"spark-uwfq {uwfq.version(spark)} installed: {uwfq.installed(spark)} "
              f"(Spark {spark.version}, master {args.master})")
        ui = spark.sparkContext.uiWebUrl
        print(f"Spark UI at {ui} (scheduler: {ui}/uwfq/)", flush=True)
        results: dict = {}
        threads = [
            InheritableThread(target=_user_jobs, args=(spark, "alice", 2_000_000, 3, results)),
            InheritableThread(target=_user_jobs, args=(spark, "bob", 200_000, 3, results)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for user, sums in sorted(results.items()):
            print(f"  {user}: {len(sums)} jobs finished")
        return 0 if uwfq.installed(spark) and len(results) == 2 else 1
    finally:
        spark.stop()
