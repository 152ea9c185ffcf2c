"""`clinic`: the developers' command line.

clinic faq add KEY --answer ... --source ... --example ... [--family F] | --from-file F | --edit
clinic faq check [--no-cross-validation]
clinic faq import ARTICLE.(txt|md|html)
clinic faq from-unanswered unanswered_questions.yml
clinic faq baseline [RESULTS]
clinic model reload [--url http://localhost:5005] [--model models/clinic.tar.gz]
clinic model train-and-load [--url http://localhost:5005]
clinic chat ["message" ...] [--url http://localhost:5005]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clinic import PROJECT_ROOT


def add(args) -> int:
    from clinic.faq.author import TEMPLATE, NewTopic, TopicRefused, add_topic

    try:
        if args.edit:
            with tempfile.NamedTemporaryFile("w+", suffix=".yml", delete=False) as sheet:
                sheet.write(TEMPLATE)
            subprocess.run([os.environ.get("EDITOR", "nano"), sheet.name], check=True)
            topic = NewTopic.from_yaml(Path(sheet.name).read_text(encoding="utf-8"))
        elif args.from_file:
            topic = NewTopic.from_yaml(Path(args.from_file).read_text(encoding="utf-8"))
        else:
            if not (args.key and args.answer and args.source and args.example):
                print(
                    "error: give KEY, --answer, --source and --example (repeat it), or --from-file/--edit",
                    file=sys.stderr,
                )
                return 2
            topic = NewTopic(args.key, args.answer, args.source, args.example, args.family)
        path = add_topic(topic)
    except TopicRefused as why:
        print("Not added:\n  " + str(why).replace("\n", "\n  "), file=sys.stderr)
        return 1
    print(f"Added faq/{topic.key} to {path.relative_to(PROJECT_ROOT)}. Next: `clinic faq check`, then `make train`.")
    return 0


def check(args) -> int:
    from clinic.faq.check import check as check_topics
    from clinic.faq.check import print_report

    # The knowledge base Rasa will train: the current directory's when it is a project (a copy being
    # trained, e.g. the console's "Train and load"), else this checkout's.
    here = Path.cwd()
    report = check_topics(here if (here / "domain.yml").is_file() and (here / "data").is_dir() else PROJECT_ROOT)
    if args.cross_validation and report.ok:
        import spacy

        from clinic.nlp.pipeline import ensure_built
        from clinic.quality.cross_validation import problems

        report.problems += problems(spacy.load(ensure_built()))
    print_report(report)
    return 0 if report.ok else 1


def draft(args) -> int:
    from clinic.faq.drafts import draft_article, draft_unanswered, write_drafts
    from clinic.faq.writing import WriteRefused

    source = Path(args.file)
    if not source.is_file():
        print(f"error: {source} is not a file", file=sys.stderr)
        return 2
    drafts = draft_article(source) if args.verb == "import" else draft_unanswered(source)
    try:
        path, skipped = write_drafts(drafts, ("article_" if args.verb == "import" else "unanswered_") + source.stem)
    except WriteRefused as why:
        print(f"Not drafted: {why}", file=sys.stderr)
        return 1
    for reason in skipped:
        print(f"skipped: {reason}")
    written = len(drafts) - len(skipped)
    if written:
        print(
            f"Drafted {written} topic(s) in {path.relative_to(PROJECT_ROOT)}: review each one; "
            "`clinic faq check` refuses them until `draft: true` is gone."
        )
    else:
        print("Nothing new to draft.")
    return 0


def baseline(args) -> int:
    from clinic.faq.baseline import BASELINE_FILE, write_baseline

    results = Path(args.results)
    if not (results / "intent_report.json").exists():
        print(f"error: no held-out results in {results}: run `make test` (or rasa test nlu) first", file=sys.stderr)
        return 2
    written = write_baseline(results)
    print(
        f"Wrote {BASELINE_FILE.relative_to(PROJECT_ROOT)}: intent F1 {written['intent']['overall_f1']:.3f}, "
        f"answer F1 {written['answer']['overall_f1']:.3f}. Commit it with the change that earned it."
    )
    return 0


def reload(args) -> int:
    """Into the replicas `make run`/`make prod` started, one at a time; or into --url alone."""
    from clinic.operations.model_reload import ReloadFailed, api_secret
    from clinic.prod.rollout import roll_out
    from clinic.prod.topology import Topology, run_dir

    topology = Topology.load(run_dir())
    if args.url or topology is None:
        url = (args.url or "http://localhost:5005").rstrip("/")
        topology = Topology([int(url.rsplit(":", 1)[1])], url.split("//")[1].rsplit(":", 1)[0])
    started = time.monotonic()
    try:
        loaded = roll_out(topology, Path(args.model), api_secret(), run_dir())
    except ReloadFailed as why:
        print(f"error: {why}", file=sys.stderr)
        return 1
    for url, before, after in loaded:
        same = " (the same model: nothing was retrained)" if before == after else ""
        print(f"Loaded {args.model} into {url}: model {before[:8]} -> {after[:8]}{same}.")
    print(f"Done in {time.monotonic() - started:.1f} s. Conversations carried on.")
    return 0


def train_and_load(args) -> int:
    """What the console's "Train and load" runs: scripts/train.sh (its gates included), the safety net's
    gate on the new model, then `reload`. Trains the project in the current directory (the console's
    knowledge root), else this checkout."""
    project = Path.cwd() if (Path.cwd() / "scripts" / "train.sh").is_file() else PROJECT_ROOT
    args.model = args.model or str(project / "models" / "clinic.tar.gz")
    trained = subprocess.run(["bash", "scripts/train.sh"], cwd=project)
    if trained.returncode != 0:
        print("error: training failed or was refused (above): the assistant keeps the model it has.", file=sys.stderr)
        return trained.returncode
    print("==> Checking the new model escalates every crisis, emergency and red flag it must", flush=True)
    safe = subprocess.run([sys.executable, "-m", "clinic.quality.safety", args.model, "--before-loading"], cwd=project)
    if safe.returncode != 0:
        print(
            "error: the new model failed the safety net's gate (above): it is not loaded, and the assistant "
            "keeps the model it has.",
            file=sys.stderr,
        )
        return safe.returncode
    return reload(args)


def chat(args) -> int:
    from clinic.devtools.chat_client import chat as converse
    from clinic.devtools.chat_client import typed_lines

    return converse(args.url, args.message or typed_lines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="clinic", description="The clinic assistant's developer tools.")
    groups = parser.add_subparsers(dest="group", required=True)
    faq = groups.add_parser("faq", help="author and check the FAQ knowledge base")
    verbs = faq.add_subparsers(dest="verb", required=True)

    add_verb = verbs.add_parser("add", help="add a FAQ topic (examples, answer, source) to data/faq/")
    add_verb.add_argument("key", nargs="?", help="topic key, e.g. exercise_after_needling")
    add_verb.add_argument("--answer", help="2-4 plain sentences (grade 8 or below)")
    add_verb.add_argument(
        "--source", help='the article section, e.g. "Aftercare and Recovery", or "not in the article"'
    )
    add_verb.add_argument("--example", action="append", help="a way a patient asks it (repeat, at least 10)")
    add_verb.add_argument("--family", default="added", help="data/faq/<family>.yml to write to (default: added)")
    add_verb.add_argument("--from-file", help="read key, family, source, answer and examples from a YAML file")
    add_verb.add_argument("--edit", action="store_true", help="fill in a template in $EDITOR")
    add_verb.set_defaults(run=add)

    checking = verbs.add_parser(
        "check", help="check every topic, then cross-validate the new ones; exit status 1 on problems"
    )
    checking.add_argument(
        "--no-cross-validation",
        dest="cross_validation",
        action="store_false",
        help="only the rules (what `make train` checks before training)",
    )
    checking.set_defaults(run=check)

    import_verb = verbs.add_parser("import", help="draft topics from an article (.txt, .md or .html)")
    import_verb.add_argument("file")
    import_verb.set_defaults(run=draft)

    unanswered_verb = verbs.add_parser("from-unanswered", help="draft topics from the staff console's export")
    unanswered_verb.add_argument("file", help="unanswered_questions.yml from the console's Unanswered page")
    unanswered_verb.set_defaults(run=draft)

    baseline_verb = verbs.add_parser("baseline", help="write tests/nlu_baseline.json from the last held-out run")
    baseline_verb.add_argument("results", nargs="?", default=str(PROJECT_ROOT / "results" / "heldout"))
    baseline_verb.set_defaults(run=baseline)

    model = groups.add_parser("model", help="the running assistant's model")
    model_verbs = model.add_subparsers(dest="verb", required=True)
    reload_verb = model_verbs.add_parser("reload", help="load the newly trained model without stopping the assistant")
    reload_verb.add_argument(
        "--url",
        default=os.environ.get("CLINIC_RASA_URL"),
        help="one Rasa server (default: every replica make run/make prod started)",
    )
    reload_verb.add_argument("--model", default=str(PROJECT_ROOT / "models" / "clinic.tar.gz"))
    reload_verb.set_defaults(run=reload)
    train_verb = model_verbs.add_parser(
        "train-and-load",
        help="train (after the knowledge base's checks), then reload as above: the console's \"Train and load\"",
    )
    train_verb.add_argument(
        "--url",
        default=os.environ.get("CLINIC_RASA_URL"),
        help="one Rasa server (default: every replica make run/make prod started)",
    )
    train_verb.add_argument("--model", help="where training writes the model (default: models/clinic.tar.gz)")
    train_verb.set_defaults(run=train_and_load)

    chat_verb = groups.add_parser("chat", help="chat with the running assistant through the widget's channel")
    chat_verb.add_argument("message", nargs="*", help="messages to send in one conversation (none: type them)")
    chat_verb.add_argument("--url", default=os.environ.get("CLINIC_RASA_URL", "http://localhost:5005"))
    chat_verb.set_defaults(run=chat)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
