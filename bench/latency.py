"""Latency, throughput and memory of the assistant through the widget's channel.

Starts the three processes of `make run` on free ports (as the tests do), then
patients ask questions on several lines at once and it prints p50/p95/p99
latency, messages per second and the Rasa server's resident memory. Each
patient asks the eight QUESTIONS (a conversation of eight messages), then the
next patient starts: Rasa's work per message grows with the conversation's
length (~0.4 ms a message here), so one endless conversation would measure
something no patient does.

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
OTHER_LANGUAGE = "¿es segura la punción seca?"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_line_of_patients(channel: str, messages: int) -> list[float]:
    """Patients one after another, each asking the QUESTIONS in turn; each message's latency in ms."""
    latencies = []
    for i in range(messages):
        if i % len(QUESTIONS) == 0:
            session = new_session(channel)
        started = time.perf_counter()
        status, _, _ = chat(channel, session, QUESTIONS[i % len(QUESTIONS)])
        if status != 200:
            raise RuntimeError(f"HTTP {status}")
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def measure(channel: str, messages: int, lines: int) -> tuple[list[float], float]:
    """(sorted latencies in ms, messages per second) with `lines` patients asking at once."""
    one_line_of_patients(channel, 2 * len(QUESTIONS))  # warm-up
    started = time.perf_counter()
    with ThreadPoolExecutor(lines) as pool:
        latencies = [ms for line in pool.map(lambda _: one_line_of_patients(channel, messages // lines),
                                             range(lines)) for ms in line]
    return sorted(latencies), len(latencies) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    limits = {"CLINIC_WEB_LIMIT_PER_IP": "100000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "100000/minute"}
    with running_assistant(ROOT / "models" / "clinic.tar.gz", workdir,
                           {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"}, limits) as servers:
        rss_idle = rss_mb(servers["pids"]["rasa"])
        latencies, throughput = measure(servers["channel"], args.messages, args.concurrency)
        rss_busy = rss_mb(servers["pids"]["rasa"])
        chat(servers["channel"], new_session(servers["channel"]), OTHER_LANGUAGE)  # loads the language models
        rss_other_language = rss_mb(servers["pids"]["rasa"])

    cut = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} messages, {args.concurrency} patients at a time (conversations of {len(QUESTIONS)}), "
          "widget channel -> Rasa -> actions")
    print(f"  latency ms   p50 {cut[49]:.0f}   p95 {cut[94]:.0f}   p99 {cut[98]:.0f}   max {latencies[-1]:.0f}")
    print(f"  throughput   {throughput:.1f} messages/s")
    print(f"  Rasa server  RSS {rss_idle:.0f} MB after loading, {rss_busy:.0f} MB after the run, "
          f"{rss_other_language:.0f} MB after a first message in another language")


if __name__ == "__main__":
    main()
