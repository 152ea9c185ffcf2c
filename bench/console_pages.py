"""The staff console over a big tracker store: 100,000 conversations (Rasa's own events
table, SQLite) and 2,000 requests; once the console has summarised the store (a one-off, timed), each list
page opened 10 times (3 when it takes over 2 s) by a logged-in admin. Prints p50/p95 per page. Numbers, not gates; the goal is every list page
≤ 300 ms at p95 on 2 cores.

    python bench/console_pages.py [--conversations 100000]

Five kinds of conversation (an FAQ, a booking, a red flag, an unanswered question,
crisis language) are written once by Rasa's SQLTrackerStore, then copied with new
ids, spread over the last 60 days.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers write real Rasa events and start real servers

import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from local_servers import free_port, wait_for  # noqa: E402
from tracker_events import Chat, save_conversations, sqlite_tracker_store  # noqa: E402

PAGES = ["/", "/conversations", "/conversations?flag=red_flag", "/conversations?flag=unanswered",
         "/conversations?q=sciatica", "/conversations?q=nowhere+to+be+found", "/conversations?page=200", "/unanswered", "/inbox", "/inbox?q=555",
         "/audit"]
PASSWORD = "bench-password-for-the-console-0123"


def kinds(day: str) -> dict[str, Chat]:
    return {
        "faq": Chat(day).patient("does dry needling hurt?", "faq", 0.97, "faq/does_it_hurt", 0.91)
        .assistant("utter_faq/does_it_hurt", "You may feel a quick pinch."),
        "booking": Chat(day).patient("I'd like to book", "book_appointment").form("booking_form")
        .assistant("utter_ask_patient_name", "What is your name?").patient("Ana Ruiz", "unclear")
        .form(None).action("action_submit_booking", request_reference="MC-ABCDEF"),
        "red_flag": Chat(day).patient("I can't control my bladder", "red_flag",
                                      red_flags=[("bladder_bowel_control", "emergency")])
        .assistant("utter_red_flag_emergency", "Call 911 now."),
        "unanswered": Chat(day).patient("blorf kzzt about my sciatica", "nlu_fallback", 0.3)
        .assistant("utter_rephrase", "Could you say that another way?"),
        "crisis": Chat(day).patient("I want to end it all", "red_flag", red_flags=[("crisis_language", "crisis")])
        .assistant("utter_crisis", "Please call or text 988 now."),
    }


def seed(tracker_db: Path, clinic_url: str, count: int) -> None:
    store = sqlite_tracker_store(tracker_db)
    today = datetime.now(timezone.utc).date().isoformat()
    save_conversations(store, {f"template-{kind}": chat for kind, chat in kinds(today).items()})
    engine = create_engine(f"sqlite:///{tracker_db}")
    with engine.begin() as db:
        templates = db.execute(text("select sender_id, type_name, timestamp, intent_name, action_name, data "
                                    "from events order by id")).all()
        db.execute(text("delete from events"))
    by_kind: dict[str, list] = {}
    for row in templates:
        by_kind.setdefault(row.sender_id.split("-", 1)[1], []).append(row)
    names, weights = zip(*{"faq": 60, "booking": 10, "red_flag": 5, "unanswered": 20, "crisis": 5}.items())
    now = time.time()
    rows = []
    for n in range(count):
        kind = random.choices(names, weights)[0]
        sender, shift = f"web-{n:07d}-{kind}", -random.uniform(0, 60 * 86400)
        base = by_kind[kind][0].timestamp
        for row in by_kind[kind]:
            moment = now + shift + (row.timestamp - base)
            data = json.loads(row.data)
            data["timestamp"] = moment
            rows.append({"sender_id": sender, "type_name": row.type_name, "timestamp": moment,
                         "intent_name": row.intent_name, "action_name": row.action_name, "data": json.dumps(data)})
    with engine.begin() as db:
        db.execute(text("insert into events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                        "values (:sender_id, :type_name, :timestamp, :intent_name, :action_name, :data)"), rows)
    print(f"(seeded {count:,} conversations, {len(rows):,} events)", flush=True)

    from clinic.requests.store import ClinicStore
    from clinic.db import connect
    from clinic.db.migrate import upgrade

    upgrade(connect(clinic_url))
    clinic = ClinicStore(clinic_url)
    for n in range(2000):
        clinic.submit(random.choice(["booking", "callback"]), f"web-{n:07d}",
                      {"patient_name": f"Patient {n}", "phone": f"+1555{n:07d}"}, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        clinic_url, tracker_db = f"sqlite:///{workdir / 'clinic.db'}", workdir / "rasa.db"
        started = time.monotonic()
        seed(tracker_db, clinic_url, args.conversations)
        print(f"(seeding took {time.monotonic() - started:.0f} s)", flush=True)
        env = {**os.environ, "CLINIC_DB_URL": clinic_url, "CLINIC_TRACKER_DB_URL": f"sqlite:///{tracker_db}"}
        subprocess.run([sys.executable, "-m", "clinic.staff", "add-account", "admin", "--role", "admin",
                        "--password-stdin"], input=PASSWORD + "\n", text=True, env=env, check=True, cwd=ROOT,
                       capture_output=True)
        port = free_port()
        begun = time.monotonic()  # a console meeting this store for the first time summarises it once
        server = subprocess.Popen([sys.executable, "-m", "clinic.staff", "serve", "--port", str(port)], env=env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(f"{url}/login", server)
            web = requests.Session()
            token = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"{url}/login").text).group(1)
            web.post(f"{url}/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
            while 'id="still-reading"' in web.get(f"{url}/", timeout=900).text:
                time.sleep(2)
            print(f"(the console started and summarised the store in {time.monotonic() - begun:.0f} s, once)",
                  flush=True)
            print("| page | p50 ms | p95 ms |\n|---|---|---|")
            for page in PAGES:
                times = []
                while len(times) < (10 if not times or times[0] < 2000 else 3):  # a slow page: 3 tries are enough
                    begun = time.perf_counter()
                    answer = web.get(url + page, timeout=900)
                    times.append((time.perf_counter() - begun) * 1000)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{page}: HTTP {answer.status_code}")
                times.sort()
                print(f"| `{page}` | {times[len(times) // 2]:.0f} | {times[-1 if len(times) < 10 else 9]:.0f} |",
                      flush=True)
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
