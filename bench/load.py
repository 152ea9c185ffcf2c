"""Load, side by side: the production topology (nginx in front of 1 and then 2 Rasa
replicas, PostgreSQL, Redis) against a stock `rasa init` bot trained and run here.

Closed loop: 1, 10 and 50 patients at once, each sending its next message as
soon as the last reply came (a new conversation every eight messages). Open
load: 50 patients pausing 5-15 s between messages, as people type. Prints
throughput and p50/p95/p99 per level. Numbers, not gates.

    python bench/load.py [--seconds 20] [--open-seconds 60]
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start real servers

from local_servers import BIN, POSTGRES_URL, free_port, wait_for  # noqa: E402
from patient_channel import chat, new_session  # noqa: E402
from production import production_topology  # noqa: E402

QUESTIONS = ["does dry needling hurt?", "how many sessions will I need", "is dry needling safe",
             "what causes sciatica", "how long until I feel better", "what happens in a session",
             "can dry needling help chronic sciatica", "what is the price of a session"]
STOCK_MESSAGES = ["hello", "I am feeling sad", "yes", "great, thanks", "are you a bot?", "goodbye",
                  "hi there", "not really"]
LEVELS = (1, 10, 50)
STOCK_DATABASE = f"stock_bot_bench_{random.getrandbits(32):x}"
# Every bench patient calls from 127.0.0.1: the per-address limit would count them as one.
NO_RATE_LIMITS = {"CLINIC_WEB_LIMIT_PER_IP": "1000000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "1000000/minute"}


class Clinic:
    """A patient of the clinic's assistant, through nginx and the widget's channel."""

    def __init__(self, channel: str):
        self.channel, self.session, self.n = channel, None, 0

    def send(self) -> bool:
        if self.n % len(QUESTIONS) == 0:
            self.session = new_session(self.channel)
        status, _, _ = chat(self.channel, self.session, QUESTIONS[self.n % len(QUESTIONS)])
        self.n += 1
        return status == 200


class Stock:
    """A user of the stock bot, through Rasa's rest channel."""

    def __init__(self, url: str):
        self.url, self.sender, self.n = url, None, 0

    def send(self) -> bool:
        if self.n % len(STOCK_MESSAGES) == 0:
            self.sender = f"bench-{random.getrandbits(48):x}"
        body = json.dumps({"sender": self.sender, "message": STOCK_MESSAGES[self.n % len(STOCK_MESSAGES)]}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            self.n += 1
            return answer.status == 200


def run(make_patient, patients: int, seconds: float, pause: tuple[float, float] | None = None) -> dict:
    latencies, failures, stop = [], [0], time.monotonic() + seconds

    def patient():
        me = make_patient()
        if pause:
            time.sleep(random.uniform(0, pause[1]))  # patients arrive spread out, not all at once
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                ok = me.send()
            except OSError:
                ok = False
            latencies.append(time.perf_counter() - started)
            failures[0] += not ok
            if pause:
                time.sleep(random.uniform(*pause))

    threads = [threading.Thread(target=patient) for _ in range(patients)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"messages": len(latencies), "per_second": len(latencies) / elapsed, "failed": failures[0],
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99)}


def line(name: str, patients: int, result: dict) -> str:
    return (f"| {name} | {patients} | {result['per_second']:.1f} | {result['p50']:.0f} | {result['p95']:.0f} | "
            f"{result['p99']:.0f} | {result['failed']} |")


def train_stock_bot(workdir: Path) -> Path:
    """`rasa init`: its example bot (DIET and TED), trained here."""
    project = workdir / "stock"
    project.mkdir()
    started = time.monotonic()
    subprocess.run([BIN / "rasa", "init", "--no-prompt", "--init-dir", str(project)], check=True,
                   capture_output=True, cwd=workdir, timeout=3600)
    print(f"(stock bot trained in {time.monotonic() - started:.0f} s)", flush=True)
    # The same bot with its conversations in PostgreSQL and its locks in Redis, as the clinic's are.
    (project / "endpoints-persistent.yml").write_text(
        "tracker_store:\n  type: SQL\n  dialect: postgresql\n  url: 127.0.0.1:5432\n"
        f"  db: {STOCK_DATABASE}\n  username: postgres\n  login_db: postgres\n"
        "lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n  db: 13\n")
    return project


def stock_bot(project: Path, endpoints: str = "endpoints.yml"):
    """`rasa run` of the stock bot on a free port; (process, its rest channel's URL)."""
    port = free_port()
    log = open(project / f"{endpoints}.log", "w")
    server = subprocess.Popen([BIN / "rasa", "run", "--port", str(port), "--interface", "127.0.0.1",
                               "--endpoints", endpoints], cwd=project, stdout=log, stderr=subprocess.STDOUT)
    wait_for(f"http://127.0.0.1:{port}/", server, seconds=300)
    return server, f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def drop_stock_database() -> None:
    from sqlalchemy import create_engine, text

    with create_engine(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT").connect() as db:
        db.execute(text(f'drop database if exists "{STOCK_DATABASE}" with (force)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--open-seconds", type=float, default=60)
    args = parser.parse_args()
    rows = ["| system | patients at once | msg/s | p50 ms | p95 ms | p99 ms | failed |", "|---|---|---|---|---|---|---|"]
    open_rows = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        for replicas in (1, 2):
            (workdir / f"r{replicas}").mkdir()
            with production_topology(workdir / f"r{replicas}", replicas, NO_RATE_LIMITS) as prod:
                name = f"clinic, {replicas} replica{'s' if replicas > 1 else ''} behind nginx"
                run(lambda: Clinic(prod.channel), 2, 3)  # warm-up
                for patients in LEVELS:
                    rows.append(line(name, patients, run(lambda: Clinic(prod.channel), patients, args.seconds)))
                    print(rows[-1], flush=True)
                result = run(lambda: Clinic(prod.channel), 50, args.open_seconds, pause=(5, 15))
                open_rows.append(line(name, 50, result))
                print(open_rows[-1], flush=True)
        project = train_stock_bot(workdir)
        for endpoints, name in (("endpoints.yml", "stock `rasa init` bot, 1 process, conversations in memory"),
                                ("endpoints-persistent.yml", "stock bot, conversations in PostgreSQL, Redis locks")):
            server, url = stock_bot(project, endpoints)
            try:
                run(lambda: Stock(url), 2, 3)
                for patients in LEVELS:
                    rows.append(line(name, patients, run(lambda: Stock(url), patients, args.seconds)))
                    print(rows[-1], flush=True)
                open_rows.append(line(name, 50, run(lambda: Stock(url), 50, args.open_seconds, pause=(5, 15))))
            finally:
                server.terminate()
                server.wait(60)
        drop_stock_database()
    print("\nClosed loop (each patient sends again as soon as answered):\n" + "\n".join(rows))
    print("\nOpen load (50 patients pausing 5-15 s between messages):\n" + "\n".join(rows[:2] + open_rows))


if __name__ == "__main__":
    main()
