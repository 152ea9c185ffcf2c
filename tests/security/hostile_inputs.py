"""A seeded generator of hostile and odd patient messages for the widget's
channel, and the check that every one of them gets a clear, polite answer:
no server error, no silence, no leaked template, traceback or internal name.

Used by tests/security/test_fuzz.py (a few hundred) and bench/fuzz.py (10,000).
"""
from __future__ import annotations

import json
import random
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from patient_channel import call, new_session

QUESTIONS = ["does dry needling hurt?", "how long until my sciatica gets better", "is it safe",
             "how many sessions do I need", "can I book an appointment", "what is sciatica", "ok", "no",
             "¿duele la punción seca?", "thanks", "who are you"]
INJECTIONS = ["<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "{{7*7}}", "{% for x in y %}",
              "${jndi:ldap://x/a}", "{patient_name}", "{clinic_phone}", "%s%s%s%n", "'; DROP TABLE events;--",
              '" OR 1=1 --', "[click](javascript:alert(1))", "utter_default", "action_submit_booking",
              "/restart", "/session_start", '/inform{"patient_name": "x"}', '/red_flag{"tier": "crisis"}',
              "/affirm", "/faq/does_it_hurt", "\\n\\r\\t", "../../../etc/passwd", "AAAA" * 30,
              "\u202eevil\u202c", "null", "undefined", "NaN", "true", "[]", "{}", '{"message": "x"}']
ODD_CHARACTERS = ["\ud83d", "\ude00", "\ud83d\ude00", "\x00", "\x07", "\x1b[31m", "\u200b", "\ufeff", "\u0301" * 20,
                  "Z̷̡͔̈a̸̛l̶g̵o̴", "💥" * 40, "中文问题", "مرحبا", "שלום", "Привет", "\t\t", "\r\n" * 5, "�", "\uffff"]
LEAKS = re.compile(r"Traceback|Exception|utter_|action_[a-z]|\{[a-z_]+\}|\{\{|None\b|\[object|undefined")
LENGTHS = [0, 1, 2, 499, 500, 501, 2000]


@dataclass
class Case:
    description: str
    raw: str  # the request body as sent


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)

    def add(self, case: Case, why: str) -> None:
        self.problems.append(f"{why}: {case.description} {case.raw[:120]!r}")


def _message(text) -> str:
    return json.dumps({"message": text})


def hostile_cases(count: int, seed: int = 2026) -> list[Case]:
    rng = random.Random(seed)
    makers = [
        lambda: Case("injection", _message(rng.choice(INJECTIONS))),
        lambda: Case("question with injection",
                     _message(f"{rng.choice(QUESTIONS)} {rng.choice(INJECTIONS)}")),
        lambda: Case("odd characters", _message("".join(rng.choice(ODD_CHARACTERS) for _ in range(rng.randint(1, 6))))),
        lambda: Case("question with odd characters",
                     _message(rng.choice(QUESTIONS) + rng.choice(ODD_CHARACTERS) + rng.choice(QUESTIONS))),
        lambda: Case("random code points", _message("".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 40))))),
        lambda: Case("length", _message("x" * rng.choice(LENGTHS))),
        lambda: Case("repeated question", _message((rng.choice(QUESTIONS) + " ") * rng.randint(1, 60))),
        lambda: Case("long story", _message(" ".join(rng.choice(QUESTIONS) for _ in range(rng.randint(5, 60))))),
        lambda: Case("not a string", json.dumps({"message": rng.choice([1, 2.5, None, True, [], {}, ["a"]])})),
        lambda: Case("not an object", json.dumps(rng.choice([[], "hello", 42, None]))),
        lambda: Case("broken JSON", rng.choice(['{"message": "hi"', "{message: hi}", "", "\x00", '{"message": "\\ud8"}',
                                                 '{"message": "a", "message": "b"}', "[" * 100])),
        lambda: Case("whitespace", _message(rng.choice(["", " ", "\n\n", "\t", "\u3000", "   \u200b   "]))),
        lambda: Case("ordinary question", _message(rng.choice(QUESTIONS))),
    ]
    return [rng.choice(makers)() for _ in range(count)]


def judge(case: Case, status: int, body: dict | None, verdict: Verdict, silent_texts: set[str]) -> None:
    """Adds a problem to `verdict` unless the channel answered this case clearly and politely."""
    if status >= 500:
        verdict.add(case, f"server error {status}")
        return
    if not isinstance(body, dict):
        verdict.add(case, f"no JSON answer ({status})")
        return
    if status == 200:
        texts = [m.get("text") or "" for m in body.get("messages") or []]
        if not any(t.strip() for t in texts):
            verdict.add(case, "silence")
        elif any(t in silent_texts for t in texts):
            verdict.add(case, "the assistant had no reply (the channel's never-silent message)")
    elif status in (400, 413, 429):
        texts = [body.get("message") or ""]
        if not texts[0].strip():
            verdict.add(case, f"refusal {status} without a sentence")
    else:
        verdict.add(case, f"unexpected status {status}")
        return
    for text in texts:
        if LEAKS.search(text):
            verdict.add(case, f"leak {LEAKS.search(text).group()!r} in {text[:80]!r}")


def send_all(channel: str, cases: list[Case], silent_texts: set[str], workers: int = 3,
             per_session: int = 15) -> tuple[Verdict, Counter]:
    """Sends every case through the channel, `per_session` to a patient session, each
    session from its own 127.0.0.x address; returns the problems and the statuses seen."""
    verdict, statuses = Verdict(), Counter()
    batches = [cases[i:i + per_session] for i in range(0, len(cases), per_session)]

    def patient(number: int) -> None:
        source = f"127.2.{number // 200 % 250}.{10 + number % 200}"  # 127.2.x.x: the fuzz run alone
        session = new_session(channel, source=source)
        for case in batches[number]:
            status, _, body = call(f"{channel}/sessions/{session['session_id']}/messages", "POST", raw=case.raw,
                                   token=session["token"], source=source)
            statuses[status] += 1
            judge(case, status, body, verdict, silent_texts)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(patient, range(len(batches))))
    return verdict, statuses
