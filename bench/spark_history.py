#!/usr/bin/env python3
"""Spark reading the bugs history of the snapshots in a folder, as reports/README.md
documents it: the time to count the bugs of each snapshot and to sum the revenue impact
of the open ones. Run with the venv the tests use (pyspark, Java):
    ~/.cache/ctodb-venv/bin/python bench/spark_history.py DIR [runs]"""
import statistics, sys, time
from pyspark.sql import SparkSession

folder = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
started = time.time()
spark = SparkSession.builder.master("local[*]").config("spark.ui.enabled", "false").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
print(f"session started in {time.time() - started:.1f} s")
times = []
for run in range(runs):
    started = time.time()
    bugs = spark.read.option("basePath", folder).option("mergeSchema", "true").parquet(f"{folder}/snapshot=*/bugs.parquet")
    counts = sorted((r["snapshot"], r["count"]) for r in bugs.groupBy("snapshot").count().collect())
    open_revenue = bugs.where("status IN ('pending', 'in_progress')").groupBy("snapshot").sum("revenue_impact_daily").collect()
    times.append(time.time() - started)
    print(f"run {run + 1}: {times[-1]:.2f} s", counts, sorted((r[0], str(r[1])) for r in open_revenue))
print(f"median {statistics.median(times):.2f} s over {runs} runs")
