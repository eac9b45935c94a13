#!/usr/bin/env python3
"""The reference system's stream job, rebuilt on PySpark Structured Streaming.

Kafka topic -> from_json with an explicit schema of the OpenWeatherMap
current-weather response -> the columns squall stores, with squall's values
-> foreachBatch: Cassandra table <keyspace>.observations (spark-cassandra-
connector) and a CSV copy (squall writes its CSV backup too).

Runs until --expect input rows have been processed (or --timeout), prints one
JSON line per micro-batch on stdout and writes a summary to --result: the
query's start time, each batch's offsets, rows and write-completion time, and
the CPU seconds and peak RSS of the Spark JVM and of this Python driver.

Usage: weather_stream.py --topic T --keyspace KS --trigger 1s --expect N
                         [--result FILE] [--csv-dir DIR | --no-csv]
       weather_stream.py --resolve-only    (fetch the Maven packages, for setup)
"""

import argparse
import json
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.7",
            "com.datastax.spark:spark-cassandra-connector_2.12:3.5.1"]
KELVIN_OFFSET = 273.15
METRES_PER_SECOND_PER_MPH = 0.44704
# squall's validate(): min/max of each optional field, by column.
BOUNDS = {"feels_like_c": (-100, 70), "temp_min_c": (-100, 70), "temp_max_c": (-100, 70),
          "pressure_hpa": (300, 1100), "sea_level_hpa": (300, 1100), "grnd_level_hpa": (300, 1100),
          "humidity_pct": (0, 100), "wind_speed_ms": (0, 150), "wind_gust_ms": (0, 150), "wind_deg": (0, 360),
          "clouds_pct": (0, 100), "visibility_m": (0, 100000), "rain_1h_mm": (0, 1000), "rain_3h_mm": (0, 1000),
          "snow_1h_mm": (0, 1000), "snow_3h_mm": (0, 1000), "lat": (-90, 90), "lon": (-180, 180)}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topic")
    parser.add_argument("--keyspace")
    parser.add_argument("--trigger", default="20s", help="micro-batch interval, e.g. 1s or 20s")
    parser.add_argument("--expect", type=int, default=0, help="stop once this many input rows are processed")
    parser.add_argument("--timeout", type=float, default=3600, help="stop after this many seconds regardless")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--cassandra", default="127.0.0.1:9042")
    parser.add_argument("--csv-dir", help="where the CSV copy goes (default: a temp dir, deleted at exit)")
    parser.add_argument("--no-csv", action="store_true")
    parser.add_argument("--checkpoint", help="checkpoint location (default: a fresh temp dir)")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--ivy", default=str(ROOT / ".cache" / "reference" / "ivy"))
    parser.add_argument("--result", help="write the run's summary JSON here")
    parser.add_argument("--resolve-only", action="store_true")
    args = parser.parse_args()
    if not args.resolve_only and not (args.topic and args.keyspace and args.expect > 0):
        parser.error("--topic, --keyspace and --expect are required")
    return args


def session(args):
    from pyspark.sql import SparkSession
    host, port = args.cassandra.rsplit(":", 1)
    return (SparkSession.builder.master("local[2]").appName("reference-weather-stream")
            .config("spark.jars.packages", ",".join(PACKAGES))
            .config("spark.jars.ivy", args.ivy)
            .config("spark.driver.memory", args.driver_memory)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            # Left on, Spark pushes the validity filter below the projection and
            # parses each message once more for every field the filter reads
            # (~100 parses a row). The Kafka source takes no pushed filters, so
            # turning pushdown off costs nothing else.
            .config("spark.sql.optimizer.excludedRules",
                    "org.apache.spark.sql.catalyst.optimizer.PushDownPredicates,"
                    "org.apache.spark.sql.catalyst.optimizer.PushPredicateThroughNonJoin")
            .config("spark.cassandra.connection.host", host)
            .config("spark.cassandra.connection.port", port)
            .getOrCreate())


def owm_schema():
    """The current-weather response, every field OWM sends (https://openweathermap.org/current)."""
    from pyspark.sql.types import ArrayType, DoubleType, LongType, StringType, StructField, StructType

    def block(kind, *names):
        return StructType([StructField(name, kind) for name in names])

    condition = StructType([StructField("id", LongType()), StructField("main", StringType()),
                            StructField("description", StringType()), StructField("icon", StringType())])
    return StructType([
        StructField("coord", block(DoubleType(), "lon", "lat")),
        StructField("weather", ArrayType(condition)),
        StructField("base", StringType()),
        StructField("main", block(DoubleType(), "temp", "feels_like", "temp_min", "temp_max", "pressure",
                                  "humidity", "sea_level", "grnd_level")),
        StructField("visibility", DoubleType()),
        StructField("wind", block(DoubleType(), "speed", "deg", "gust")),
        StructField("rain", block(DoubleType(), "1h", "3h")),
        StructField("snow", block(DoubleType(), "1h", "3h")),
        StructField("clouds", block(DoubleType(), "all")),
        StructField("dt", LongType()),
        StructField("sys", StructType([StructField("type", LongType()), StructField("id", LongType()),
                                       StructField("country", StringType()), StructField("sunrise", LongType()),
                                       StructField("sunset", LongType())])),
        StructField("timezone", LongType()),
        StructField("id", LongType()),
        StructField("name", StringType()),
        # 200 (a number) on success; error payloads send "401" or 404: a string field takes both.
        StructField("cod", StringType()),
        StructField("message", StringType()),
    ])


def observations(raw):
    """Kafka rows -> squall's observation columns, with the values squall's parser and validate() give."""
    from pyspark.sql import functions as F

    def header(name):  # the first header of that name, as squall reads it
        return F.filter("headers", lambda h: h["key"] == name).getItem(0)["value"].cast("string")

    parsed = raw.select(F.from_json(F.col("value").cast("string"), owm_schema()).alias("j"),
                        F.coalesce(header("units"), F.lit("standard")).alias("units"),
                        F.coalesce(header("fetched_at_ms").cast("long"), F.unix_millis("timestamp")).alias("fetched"),
                        F.coalesce(header("source"), F.lit("log")).alias("source"))
    j, units = F.col("j"), F.col("units")

    def rounded(x):  # squall rounds converted values to a millionth
        return F.round(x * 1e6) / 1e6

    def celsius(x):
        return (F.when(units == "standard", rounded(x - KELVIN_OFFSET))
                .when(units == "imperial", rounded((x - 32.0) * 5.0 / 9.0)).otherwise(x))

    def metres_per_second(x):
        return F.when(units == "imperial", rounded(x * METRES_PER_SECOND_PER_MPH)).otherwise(x)

    first = j["weather"].getItem(0)
    descriptions = F.array_join(F.filter(F.transform(j["weather"], lambda w: w["description"]),
                                         lambda d: d != ""), ", ")
    columns = {
        "city_id": j["id"],
        "day": F.floor(j["dt"] / 86400).cast("int"),
        "observed_at": F.timestamp_seconds(j["dt"]),
        "city": F.coalesce(j["name"], F.lit("")),
        "country": j["sys"]["country"],
        "lat": j["coord"]["lat"], "lon": j["coord"]["lon"],
        "temp_c": celsius(j["main"]["temp"]),
        "feels_like_c": celsius(j["main"]["feels_like"]),
        "temp_min_c": celsius(j["main"]["temp_min"]),
        "temp_max_c": celsius(j["main"]["temp_max"]),
        "pressure_hpa": j["main"]["pressure"],
        "sea_level_hpa": j["main"]["sea_level"],
        "grnd_level_hpa": j["main"]["grnd_level"],
        "humidity_pct": j["main"]["humidity"],
        "wind_speed_ms": metres_per_second(j["wind"]["speed"]),
        "wind_deg": j["wind"]["deg"],
        "wind_gust_ms": metres_per_second(j["wind"]["gust"]),
        "clouds_pct": j["clouds"]["all"],
        "visibility_m": j["visibility"],
        "rain_1h_mm": j["rain"]["1h"], "rain_3h_mm": j["rain"]["3h"],
        "snow_1h_mm": j["snow"]["1h"], "snow_3h_mm": j["snow"]["3h"],
        "condition_id": first["id"].cast("int"),
        "condition": first["main"],
        "description": F.when(F.length(descriptions) > 0, descriptions),
        "icon": first["icon"],
        "timezone_s": j["timezone"].cast("int"),
        "sunrise": j["sys"]["sunrise"], "sunset": j["sys"]["sunset"],
        "ingested_at": F.timestamp_millis("fetched"),
        "source": F.col("source"),
    }
    # What squall's parser rejects (error payloads, missing id/dt/temp, unknown
    # units, a weather id too large for its int column) and what validate()
    # rejects. squall dead-letters these; the reference drops them.
    valid = (F.col("city_id").isNotNull() & F.col("temp_c").isNotNull() & (F.col("city_id") > 0)
             & (j["cod"].isNull() | (j["cod"] == "200")) & units.isin("standard", "metric", "imperial")
             & (first["id"].isNull() | first["id"].between(-2**31, 2**31 - 1))
             & j["dt"].between(946684800, 4102444800 - 1) & F.col("temp_c").between(-100, 70)
             & (F.col("timezone_s").isNull() | F.col("timezone_s").between(-18 * 3600, 18 * 3600)))
    for name, (low, high) in BOUNDS.items():
        valid &= F.col(name).isNull() | F.col(name).between(low, high)
    rows = parsed.select(*[column.alias(name) for name, column in columns.items()], valid.alias("valid"))
    return rows.where("valid").drop("valid")


def jvm_usage(spark):
    """CPU seconds and peak RSS (MiB) of the JVM this driver talks to, from /proc."""
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    hwm = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return {"pid": pid, "cpu_s": cpu, "peak_rss_mib": int(hwm.group(1)) / 1024}


def python_usage():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024}


def interval(text):
    """'1s', '20s', '500ms' -> Spark's interval syntax."""
    match = re.fullmatch(r"(\d+)(ms|s)", text)
    if not match:
        sys.exit(f"weather_stream: --trigger {text!r}: expected e.g. 1s, 20s or 500ms")
    return f"{match.group(1)} {'milliseconds' if match.group(2) == 'ms' else 'seconds'}"


def emit(line):
    print(json.dumps(line), flush=True)


def run(args):
    from pyspark.sql.streaming import StreamingQueryListener

    spark = session(args)
    spark.sparkContext.setLogLevel("WARN")
    if args.resolve_only:
        spark.stop()
        return 0
    work = Path(tempfile.mkdtemp(prefix="reference-stream-"))
    checkpoint = args.checkpoint or str(work / "checkpoint")
    csv_dir = None if args.no_csv else (args.csv_dir or str(work / "csv"))
    written = {}  # batch id -> when both writes of the batch had returned (epoch ms), and what each took
    progress = []
    arrived = threading.Condition()

    class Listener(StreamingQueryListener):
        def onQueryStarted(self, event):
            pass

        def onQueryProgress(self, event):
            with arrived:
                progress.append(json.loads(event.progress.json))
                arrived.notify_all()

        def onQueryIdle(self, event):
            pass

        def onQueryTerminated(self, event):
            with arrived:
                arrived.notify_all()

    def write_batch(batch, batch_id):
        started = time.time() * 1000
        # Two sinks read the batch: cache it once, as Spark's foreachBatch docs advise.
        if csv_dir:
            batch.persist()
        (batch.write.format("org.apache.spark.sql.cassandra").mode("append")
         .options(keyspace=args.keyspace, table="observations").save())
        stored = time.time() * 1000
        if csv_dir:
            batch.write.mode("append").option("header", "true").csv(csv_dir)
            batch.unpersist()
        done = time.time() * 1000
        written[batch_id] = {"written_ms": done, "cassandra_ms": stored - started, "csv_ms": done - stored}

    spark.streams.addListener(Listener())
    raw = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", args.bootstrap)
           .option("subscribe", args.topic).option("startingOffsets", "earliest")
           .option("includeHeaders", "true").load())
    before = {"jvm": jvm_usage(spark), "python": python_usage(), "epoch_ms": time.time() * 1000}
    query = (observations(raw).writeStream.foreachBatch(write_batch)
             .trigger(processingTime=interval(args.trigger))
             .option("checkpointLocation", checkpoint).start())
    deadline = time.monotonic() + args.timeout
    seen, processed, error = 0, 0, None
    try:
        while processed < args.expect and time.monotonic() < deadline:
            with arrived:
                arrived.wait(timeout=0.5)
                fresh = progress[seen:]
                seen = len(progress)
            # Every progress, a first empty one included: it tells that the query is up.
            for p in fresh:
                processed += p["numInputRows"]
                emit({"batch": p["batchId"], "rows": p["numInputRows"], "processed": processed,
                      "duration_ms": p["durationMs"].get("triggerExecution")})
            if not query.isActive:
                error = str(query.exception() or "the query stopped")
                break
    finally:
        query.stop()
    after = {"jvm": jvm_usage(spark), "python": python_usage(), "epoch_ms": time.time() * 1000}
    batches = [{"batch": p["batchId"], "rows": p["numInputRows"], **written.get(p["batchId"], {"written_ms": None}),
                "end_offsets": p["sources"][0]["endOffset"], "duration_ms": p["durationMs"]}
               for p in progress if p["numInputRows"]]
    summary = {"topic": args.topic, "keyspace": args.keyspace, "trigger": args.trigger, "expect": args.expect,
               "processed": processed, "completed": processed >= args.expect, "error": error,
               "query_started_ms": before["epoch_ms"], "before": before, "after": after, "batches": batches,
               "spark": spark.version, "packages": PACKAGES, "csv": bool(csv_dir)}
    if args.result:
        Path(args.result).write_text(json.dumps(summary))
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)
    return 0 if summary["completed"] else 3


if __name__ == "__main__":
    sys.exit(run(parse_args()))
