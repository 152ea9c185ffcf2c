"""The two NLU configurations side by side, measured in one run on this machine.

For config.yml (the linear classifiers, the default) and config-diet.yml
(Rasa's DIET and ResponseSelector): training time from scratch, intent and
answer accuracy on the held-out and blind sets, the Rasa server's memory after
loading, p50 latency with one patient and throughput with four, all through the
widget's channel. Then the developer's loop with the default configuration:
`clinic faq add` -> train -> reload -> the widget answers the new question.

    python bench/compare.py                      # about 15 minutes, most of it DIET's training
    python bench/compare.py --new-faq-loop-only  # the developer's loop alone
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start real servers

from clinic import knowledge  # noqa: E402
from clinic.faq.author import add_topic  # noqa: E402
from clinic.operations.model_reload import reload_model  # noqa: E402
from latency import measure, rss_mb  # noqa: E402
from local_servers import API_SECRET, running_assistant  # noqa: E402
from new_faq import EXERCISE  # noqa: E402
from patient_channel import chat, new_session  # noqa: E402

CONFIGS = {"linear (config.yml)": "config.yml", "DIET (config-diet.yml)": "config-diet.yml"}
SETS = {"held-out": ROOT / "tests" / "nlu_heldout.yml", "blind": ROOT / "tests" / "nlu_blind.yml"}
NO_LIMITS = {"CLINIC_WEB_LIMIT_PER_IP": "100000/minute", "CLINIC_WEB_LIMIT_PER_SESSION": "100000/minute"}


@dataclass
class Figures:
    train_seconds: float
    accuracy: dict[str, tuple[float, float]]  # set -> (intent, answer)
    rss_mb: float
    p50_one: float
    p95_one: float
    throughput_four: float


def project_copy() -> Path:
    """config files, domain and data in a folder of their own (training must not touch the project)."""
    copy = Path(tempfile.mkdtemp(prefix="clinic-bench-"))
    for name in ("config.yml", "config-diet.yml", "domain.yml"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "data", copy / "data")
    return copy


def train(copy: Path, config: str, name: str) -> tuple[Path, float]:
    started = time.monotonic()
    trained = subprocess.run([Path(sys.executable).with_name("rasa"), "train", "--config", copy / config, "--domain",
                              copy / "domain.yml", "--data", copy / "data", "--out", copy / "models",
                              "--fixed-model-name", name],
                             cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "RASA_CACHE_DIRECTORY": str(copy / f"cache-{name}")})
    if trained.returncode:
        raise SystemExit(f"training {config} failed:\n{trained.stdout[-3000:]}{trained.stderr[-3000:]}")
    return copy / "models" / f"{name}.tar.gz", time.monotonic() - started


def accuracy(model: Path) -> dict[str, tuple[float, float]]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    logging.disable(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))
    figures = {}
    for name, path in SETS.items():
        examples = list(knowledge.examples(path))
        parses = [asyncio.run(agent.parse_message(text)) for _, text in examples]
        intents = [p["intent"]["name"] == label.split("/")[0] for (label, _), p in zip(examples, parses)]
        answers = [((p.get("response_selector") or {}).get("default") or {}).get("response", {})
                   .get("intent_response_key") == label for (label, _), p in zip(examples, parses)
                   if label.startswith("faq/")]
        figures[name] = (sum(intents) / len(intents), sum(answers) / len(answers))
    logging.disable(logging.NOTSET)
    return figures


def serve_and_measure(model: Path, workdir: Path) -> tuple[float, float, float, float]:
    """(RSS MB after loading, p50 and p95 ms with one patient, messages/s with four)."""
    with running_assistant(model, workdir, {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"},
                           NO_LIMITS) as servers:
        rss = rss_mb(servers["pids"]["rasa"])
        alone = statistics.quantiles(measure(servers["channel"], 120, 1)[0], n=100)
        _, throughput = measure(servers["channel"], 320, 4)
        return rss, alone[49], alone[94], throughput


def new_faq_loop(copy: Path, model: Path) -> dict[str, float]:
    """`clinic faq add` -> train -> reload -> the widget answers the new question, timed step by step."""
    workdir = Path(tempfile.mkdtemp(prefix="clinic-bench-loop-"))
    with running_assistant(model, workdir, {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}"},
                           NO_LIMITS) as servers:
        steps, started = {}, time.monotonic()
        add_topic(EXERCISE, copy)
        steps["clinic faq add"] = time.monotonic() - started
        new_model, steps["train"] = train(copy, "config.yml", "clinic-new-faq")
        mark = time.monotonic()
        reload_model(servers["rasa"], new_model, API_SECRET)
        steps["reload"] = time.monotonic() - mark
        mark = time.monotonic()
        session = new_session(servers["channel"])
        _, _, reply = chat(servers["channel"], session, "can I go for a run after my needling session?")
        steps["the widget answers"] = time.monotonic() - mark
        steps["in all"] = time.monotonic() - started
        if "ask him what exercise suits you" not in " ".join(m["text"] for m in reply["messages"]):
            raise RuntimeError(f"the new FAQ was not answered: {reply}")
    return steps


def print_new_faq_loop(copy: Path, model: Path) -> None:
    print("\nA new FAQ, end to end (default configuration):")
    for step, seconds in new_faq_loop(copy, model).items():
        print(f"  {step:24} {seconds:6.1f} s")


def main() -> None:
    copy = project_copy()
    if "--new-faq-loop-only" in sys.argv[1:]:  # the developer's loop alone, about a minute
        print_new_faq_loop(copy, train(copy, "config.yml", "config")[0])
        return
    results, models = {}, {}
    for label, config in CONFIGS.items():
        print(f"==> {label}: training from scratch", flush=True)
        model, seconds = train(copy, config, Path(config).stem)
        models[label] = model
        print(f"==> {label}: accuracy, then serving", flush=True)
        figures = accuracy(model)
        rss, p50, p95, throughput = serve_and_measure(model, Path(tempfile.mkdtemp(prefix="clinic-bench-serve-")))
        results[label] = Figures(seconds, figures, rss, p50, p95, throughput)

    print("\nNLU configurations side by side (2 cores, widget channel -> Rasa -> actions):")
    labels = list(results)
    print(f"  {'':34}" + "".join(f"{label:>24}" for label in labels))
    rows = [("train from scratch (s)", lambda f: f"{f.train_seconds:.0f}")]
    for name in SETS:
        rows.append((f"{name} intent accuracy", lambda f, n=name: f"{f.accuracy[n][0]:.3f}"))
        rows.append((f"{name} answer accuracy", lambda f, n=name: f"{f.accuracy[n][1]:.3f}"))
    rows += [("Rasa server RSS after load (MB)", lambda f: f"{f.rss_mb:.0f}"),
             ("latency, 1 patient, p50 (ms)", lambda f: f"{f.p50_one:.0f}"),
             ("latency, 1 patient, p95 (ms)", lambda f: f"{f.p95_one:.0f}"),
             ("throughput, 4 patients (msg/s)", lambda f: f"{f.throughput_four:.1f}")]
    for what, cell in rows:
        print(f"  {what:34}" + "".join(f"{cell(results[label]):>24}" for label in labels))

    print_new_faq_loop(copy, models[labels[0]])
    shutil.rmtree(copy, ignore_errors=True)


if __name__ == "__main__":
    main()
