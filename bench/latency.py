"""Latency, throughput and memory of the assistant through the widget's channel.

Starts the three processes of `make run` on free ports (as the tests do), then
sends patient questions from several concurrent sessions and prints p50/p95/p99
latency, messages per second and the Rasa server's resident memory.

    python bench/latency.py [--messages 300] [--concurrency 4]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start real servers

from local_servers import running_assistant  # noqa: E402
from patient_channel import chat, new_session  # noqa: E402

QUESTIONS = ["does dry needling hurt?", "how many sessions will I need", "is dry needling safe",
             "what causes sciatica", "how long until I feel better", "what happens in a session",
             "can dry needling help chronic sciatica", "what is the price of a session"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def asker(channel: str, sessions: list[dict]):
    """ask(i): the i-th question from the i-th session (round robin); its latency in ms."""
    def ask(i: int) -> float:
        started = time.perf_counter()
        status, _, _ = chat(channel, sessions[i % len(sessions)], QUESTIONS[i % len(QUESTIONS)])
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        return (time.perf_counter() - started) * 1000
    return ask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    limits = {"CLINIC_WEB_LIMIT_PER_IP": "100000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "100000/minute"}
    with running_assistant(ROOT / "models" / "clinic.tar.gz", workdir,
                           {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"}, limits) as servers:
        channel = servers["channel"]
        sessions = [new_session(channel) for _ in range(args.concurrency)]
        rss_idle = rss_mb(servers["pids"]["rasa"])
        ask = asker(channel, sessions)

        for i in range(20):  # warm-up
            ask(i)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            latencies = sorted(pool.map(ask, range(args.messages)))
        elapsed = time.perf_counter() - started
        rss_busy = rss_mb(servers["pids"]["rasa"])

    cut = statistics.quantiles(latencies, n=100)
    print(f"{args.messages} messages, {args.concurrency} concurrent sessions, widget channel -> Rasa -> actions")
    print(f"  latency ms   p50 {cut[49]:.0f}   p95 {cut[94]:.0f}   p99 {cut[98]:.0f}   max {latencies[-1]:.0f}")
    print(f"  throughput   {args.messages / elapsed:.1f} messages/s")
    print(f"  Rasa server  RSS {rss_idle:.0f} MB after loading, {rss_busy:.0f} MB after the run")


if __name__ == "__main__":
    main()
