"""`make prod` on this machine: two Rasa replicas behind nginx, PostgreSQL and Redis,
every process supervised, and each part killed for real (kill -9) or stopped.

What a patient and the clinic must see: no message lost, no reply twice, no
"sent" before the request is stored, every notification delivered once it
can be, an honest answer while a database is down, and service back by itself.
"""
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from clinic import PROJECT_ROOT
from clinic.profile import clinic_profile
from local_servers import require_postgres
from patient_channel import call, chat, new_session
from clinic.operations.metrics import monitoring_headers
from production import METRICS_TOKEN, is_ready, monitoring, production_topology, supervised_programs

BOOKING_UP_TO_THE_NAME = ["I'd like to book an appointment"]
BOOKING_DETAILS = ["Ana Ruiz", "555 201 7788", "Tuesday morning", "sciatica in my left leg", "I'm a new patient"]
PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect"]
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
               "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"]


@pytest.fixture(scope="module")
def prod(trained_model, tmp_path_factory, redis_url):
    require_postgres()
    with production_topology(tmp_path_factory.mktemp("prod")) as topology:
        yield topology


def say(prod, session, message):
    status, _, answer = chat(prod.channel, session, message)
    return status, " ".join(m["text"] for m in (answer or {}).get("messages", [])) or (answer or {}).get("message", "")


def patient_messages(prod, session) -> list[str]:
    """What the conversation store holds of this patient's messages, in order."""
    with create_engine(prod.tracker_url).connect() as db:
        rows = db.execute(text("select data from events where sender_id = :id and type_name = 'user' order by id"),
                          {"id": session["session_id"]}).all()
    return [json.loads(row.data)["text"] for row in rows]


def requests_of(prod, session) -> list[tuple[str, str]]:
    with create_engine(prod.db_url).connect() as db:
        return db.execute(text("select reference, kind from clinic_requests where conversation_id = :id"),
                          {"id": session["session_id"]}).all()


def test_both_replicas_answer_behind_nginx_and_say_they_are_ready(prod):
    for url in prod.replicas:
        with urllib.request.urlopen(monitoring(f"{url}/ready")) as answer:
            assert json.load(answer)["checks"] == {"model": "ok", "conversations": "ok", "locks": "ok"}
    session, replicas, served = new_session(prod.channel), {url.split("//")[1] for url in prod.replicas}, set()
    for _ in range(12):  # a replica tried before it was up is skipped for 2 s (max_fails, fail_timeout)
        assert say(prod, session, "does dry needling hurt?")[0] == 200
        served = {json.loads(line)["upstream"] for line in (prod.log_dir / "nginx.log").read_text().splitlines()
                  if line.startswith("{") and "/messages" in line}
        if replicas <= served:
            break
        time.sleep(0.5)
    assert replicas <= served, "nginx sends patients to both replicas"
    status = prod.supervisorctl("status")
    for program in ("actions", "notifications", "nginx", "rasa:rasa-0", "rasa:rasa-1", "staff_console", "demo_site"):
        assert f"{program} " in status and "RUNNING" in status.split(program, 1)[1].splitlines()[0], status


def test_every_process_listens_on_loopback_only_and_no_secret_is_on_a_command_line(prod):
    from listening import listening_addresses

    programs = ["actions", "notifications", "nginx", "rasa:rasa-0", "rasa:rasa-1", "staff_console", "demo_site"]
    secrets = [prod.environ[name] for name in ("CLINIC_CHANNEL_SECRET", "CLINIC_API_JWT_SECRET",
                                               "CLINIC_ACTION_SERVER_SECRET", "CLINIC_WEBHOOK_SECRET")]
    for program in programs:
        pid = prod.pid(program)
        addresses = listening_addresses(pid)
        assert addresses and all(a.startswith("127.0.0.1:") for a in addresses), (program, addresses)
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        assert not any(secret in command_line for secret in secrets), program


def test_rasas_api_secret_is_only_with_the_processes_that_use_it(prod):
    """Every process had the secret `PUT /model` accepts. Now the replicas (which check it) and the
    staff console (Train and load, Save as a test); nginx has an empty environment."""
    secret = f"CLINIC_API_JWT_SECRET={prod.environ['CLINIC_API_JWT_SECRET']}".encode()
    holders = {program for program in ("actions", "notifications", "nginx", "rasa:rasa-0", "rasa:rasa-1",
                                       "staff_console", "demo_site")
               if secret in Path(f"/proc/{prod.pid(program)}/environ").read_bytes().split(b"\0")}
    assert holders == {"rasa:rasa-0", "rasa:rasa-1", "staff_console"}
    assert Path(f"/proc/{prod.pid('nginx')}/environ").read_bytes() == b""


CAP_SYS_PTRACE, CAP_SYS_ADMIN = 19, 21


def bounding_capabilities(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("CapBnd:")).split()[1], 16)


def test_the_replicas_cannot_write_the_models(prod):
    """Every process, root on this machine, could write models/. The replicas now see it read-only (a
    mount namespace of their own) and lack the capabilities to undo that; the console, which trains
    ("Train and load"), still writes it."""
    probe = PROJECT_ROOT / "models" / ".written-by-a-replica"
    for program in ("rasa:rasa-0", "rasa:rasa-1"):
        pid = prod.pid(program)
        tried = subprocess.run(["nsenter", "-t", str(pid), "-m", "touch", str(probe)], capture_output=True, text=True)
        assert tried.returncode != 0 and "Read-only file system" in tried.stderr, (program, tried.stderr)
        assert not bounding_capabilities(pid) & (1 << CAP_SYS_ADMIN | 1 << CAP_SYS_PTRACE), program
    console = subprocess.run(["nsenter", "-t", str(prod.pid("staff_console")), "-m", "touch", str(probe)])
    assert console.returncode == 0 and probe.exists()
    probe.unlink()


def test_make_prods_replicas_run_make_runs_command_with_models_read_only(tmp_path):
    """prod.conf restates clinic.conf's replica command to wrap it: the two must not drift apart."""
    environ = {name: "x" for name in ("CLINIC_REPLICAS", "CLINIC_MODEL", "CLINIC_CREDENTIALS", "CLINIC_ENDPOINTS",
                                      "CLINIC_ACTIONS_PORT", "CLINIC_BIND_ADDRESS", "CLINIC_SITE_PORT",
                                      "CLINIC_BOT_URL", "CLINIC_STAFF_PORT")}
    environ.update(CLINIC_REPLICAS="1", CLINIC_RUN_DIR=str(tmp_path), CLINIC_LOG_DIR=str(tmp_path),
                   CLINIC_HOME=str(PROJECT_ROOT))
    made_by_prod = supervised_programs(environ)["rasa-0"][0]
    made_by_run = supervised_programs(environ, PROJECT_ROOT / "deploy" / "supervisor" / "run.conf")["rasa-0"][0]
    assert made_by_prod == ["python", "-m", "clinic.prod.read_only_models", *made_by_run]


def metric(url: str, name: str) -> float:
    """The sum of a Prometheus series (all its labels) as one service reports it."""
    with urllib.request.urlopen(monitoring(f"{url}/metrics")) as answer:
        lines = answer.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.split("{")[0].split(" ")[0] == name)


def test_every_service_counts_what_the_clinic_watches(prod):
    before = {name: sum(metric(url, name) for url in prod.replicas)
              for name in ("clinic_patient_messages_total", "clinic_fallbacks_total", "clinic_reply_seconds_count")}
    red_flags, bookings = metric(prod.actions, "clinic_red_flags_total"), metric(prod.actions, "clinic_requests_total")
    say(prod, new_session(prod.channel), "blorf kzzt wumpa")  # unanswered, in a conversation of its own
    session = new_session(prod.channel)
    say(prod, session, "does dry needling hurt?")
    say(prod, session, "I suddenly can't control my bladder and both my legs are numb")
    after = {name: sum(metric(url, name) for url in prod.replicas) for name in before}
    assert after["clinic_patient_messages_total"] - before["clinic_patient_messages_total"] == 3
    assert after["clinic_reply_seconds_count"] - before["clinic_reply_seconds_count"] == 3
    assert after["clinic_fallbacks_total"] - before["clinic_fallbacks_total"] == 1
    assert metric(prod.actions, "clinic_red_flags_total") == red_flags + 1
    session = new_session(prod.channel)
    for message in BOOKING_UP_TO_THE_NAME + BOOKING_DETAILS + ["yes send it"]:
        say(prod, session, message)
    assert metric(prod.actions, "clinic_requests_total") == bookings + 1
    assert new_session_refused(prod) and sum(metric(url, "clinic_refusals_total") for url in prod.replicas) >= 1
    for url in (prod.worker, prod.staff):
        with urllib.request.urlopen(monitoring(f"{url}/ready")) as answer:
            assert json.load(answer)["ready"] is True
    assert metric(prod.worker, "clinic_outbox_backlog") >= 0 and "clinic_notifications_total" in \
        urllib.request.urlopen(monitoring(f"{prod.worker}/metrics")).read().decode()


def answered(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_counts_and_readiness_answer_only_the_monitoring_token(prod):
    """/metrics (the action server's counts how many patients were in crisis) and /ready answered anyone:
    now 401 without the monitoring token on every service's own port, 404 on the public one (nginx);
    /health, yes or no, still answers anyone."""
    for url in (*prod.replicas, prod.actions, prod.worker, prod.staff):
        for path in ("/metrics", "/ready"):
            assert answered(f"{url}{path}") == 401, f"{url}{path}"
            assert answered(f"{url}{path}", {"Authorization": "Bearer not-the-monitoring-token"}) == 401
            assert answered(f"{url}{path}", monitoring_headers(METRICS_TOKEN)) == 200, f"{url}{path}"
        assert answered(f"{url}/health") == 200, url
    for path in ("/metrics", "/ready"):
        assert answered(f"{prod.public}{path}", monitoring_headers(METRICS_TOKEN)) == 404
    assert answered(f"{prod.public}/health") == 200  # nginx's own


def new_session_refused(prod) -> bool:
    status, _, _ = chat(prod.channel, {"session_id": "web-forged", "token": "forged"}, "hello")
    return status == 401


def test_logs_are_json_lines_with_the_conversation_and_no_patient_text(prod):
    session = new_session(prod.channel)
    secret_words = "my neighbour Zebulon Quigley has sciatica"
    say(prod, session, secret_words)
    for message in BOOKING_UP_TO_THE_NAME + BOOKING_DETAILS + ["yes send it"]:
        say(prod, session, message)
    lines = []
    for log in ("rasa-0.log", "rasa-1.log", "actions.log", "notifications.log", "staff_console.log"):
        lines += [json.loads(line) for line in (prod.log_dir / log).read_text().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "service", "logger", "message"} <= set(line) for line in lines)
    ours = [line for line in lines if line.get("conversation_id") == session["session_id"]]
    assert {line["service"] for line in ours} >= {"actions"} and any(line["service"].startswith("rasa") for line in ours)
    stored = [line for line in ours if line["message"] == "request stored"]
    assert len(stored) == 1 and stored[0]["reference"].startswith("MC-") and stored[0]["kind"] == "booking"
    everything = "\n".join(json.dumps(line) for line in lines)
    for patient_text in (secret_words, "Ana Ruiz", "555 201 7788", "sciatica in my left leg"):
        assert patient_text not in everything


def test_a_new_model_reaches_every_replica_one_at_a_time_without_a_failed_message(prod):
    results, stop = [], threading.Event()

    def patient():
        session, n = new_session(prod.channel), 0
        while not stop.is_set():
            started = time.monotonic()
            status, reply = say(prod, session, "how many sessions will I need?")
            results.append((status, time.monotonic() - started, reply))
            n += 1
            time.sleep(0.2)

    patients = [threading.Thread(target=patient) for _ in range(2)]
    for thread in patients:
        thread.start()
    time.sleep(2)
    rolled = subprocess.run(["clinic", "model", "reload"], env=prod.environ, capture_output=True, text=True,
                            timeout=600, cwd=Path(__file__).parent.parent)
    time.sleep(2)
    stop.set()
    for thread in patients:
        thread.join(60)
    assert rolled.returncode == 0, rolled.stderr
    assert [line for line in rolled.stdout.splitlines() if line.startswith("Loaded")] == [
        line for line in rolled.stdout.splitlines() if line.startswith("Loaded") and any(u in line for u in prod.replicas)]
    assert len([line for line in rolled.stdout.splitlines() if line.startswith("Loaded")]) == 2
    assert len(results) > 10 and all(status == 200 for status, _, _ in results), \
        [r for r in results if r[0] != 200][:3]
    print(f"rollout: {len(results)} messages, slowest {max(r[1] for r in results):.2f} s")
    assert (prod.run_dir / "upstream.conf").read_text().count("server ") == 2, "both replicas back in service"


def test_a_replica_killed_mid_conversation_is_not_noticed_by_the_patient(prod):
    session = new_session(prod.channel)
    assert "name" in say(prod, session, BOOKING_UP_TO_THE_NAME[0])[1].lower()
    killed = prod.kill("rasa:rasa-0")
    status, reply = say(prod, session, "Ana Ruiz")  # rasa-1 answers, in the booking form
    assert status == 200 and "phone" in reply.lower(), reply
    prod.wait_restarted("rasa:rasa-0", killed, prod.replicas[0])

    killed = prod.kill("rasa:rasa-1")
    status, reply = say(prod, session, "555 201 7788")  # rasa-0, restarted by supervisord, carries on
    assert status == 200 and "when would you like to come in" in reply.lower(), reply
    prod.wait_restarted("rasa:rasa-1", killed, prod.replicas[1])
    assert patient_messages(prod, session)[-3:] == ["I'd like to book an appointment", "Ana Ruiz", "555 201 7788"]


def stored_turns(prod, session_ids) -> dict[str, list[tuple[str, str]]]:
    """{conversation: [(message id, text) of each patient turn stored, in order]}."""
    with create_engine(prod.tracker_url).connect() as db:
        rows = db.execute(text("select sender_id, data from events where type_name = 'user' "
                               "and sender_id = any(:ids) order by id"), {"ids": list(session_ids)}).all()
    turns = {session_id: [] for session_id in session_ids}
    for row in rows:
        event = json.loads(row.data)
        turns[row.sender_id].append((event.get("message_id"), event["text"]))
    return turns


def test_a_message_sent_again_to_the_other_replica_gets_its_reply_and_no_second_turn(prod):
    """The widget's message id, stored with the turn in PostgreSQL, is found by the other replica; sent to both
    at once, the Redis lock makes one wait for the other's turn and answer with its reply."""
    session = new_session(prod.channel)
    channels = [f"{url}/webhooks/clinic_web" for url in prod.replicas]
    once = str(uuid.uuid4())
    status, _, first = chat(channels[0], session, "does dry needling hurt?", message_id=once)
    assert status == 200 and "pinch" in first["messages"][0]["text"]
    assert chat(channels[1], session, "does dry needling hurt?", message_id=once)[2] == first

    together, answers = str(uuid.uuid4()), []
    senders = [threading.Thread(target=lambda c=c: answers.append(
        chat(c, session, "what is sciatica", message_id=together))) for c in channels * 2]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(60)
    assert [status for status, _, _ in answers] == [200] * 4 and all(a[2] == answers[0][2] for a in answers)
    assert stored_turns(prod, [session["session_id"]])[session["session_id"]] == [
        (once, "does dry needling hurt?"), (together, "what is sciatica")]


KILL_TEST_QUESTIONS = ["/greet", "does dry needling hurt?", "how many sessions will I need", "what causes sciatica",
                       "is dry needling safe", "what is the price of a session"]


def test_a_replica_killed_under_load_costs_no_patient_a_message_and_doubles_no_turn(prod):
    """Four patients chat as fast as replies come (a new conversation every six messages, each from an address
    of its own: the per-address limit) while each replica in turn is killed (-9) and restarted by supervisord.
    Messages cut off by a kill are sent again by nginx (the test's patients never resend), and the channel
    answers them once. Every message answered, every conversation's stored turns exactly the messages sent."""
    stop, lock = threading.Event(), threading.Lock()
    answered: dict[str, list[tuple[str, str]]] = {}  # conversation: [(message id, text) answered 200]
    failed, slowest, addresses = [], [0.0], iter(range(10**6))

    def patient():
        while not stop.is_set():
            with lock:
                source = f"127.0.1.{next(addresses) % 250 + 1}"
            try:
                status, _, session = call(f"{prod.channel}/sessions", "POST", source=source)
            except Exception as error:  # no answer at all (connection reset, timeout)
                status, session = type(error).__name__, None
            if status != 201:
                failed.append(("new conversation", status))
                continue
            answered[session["session_id"]] = []
            for question in KILL_TEST_QUESTIONS:
                message_id, started = str(uuid.uuid4()), time.monotonic()
                try:
                    status, _, _ = chat(prod.channel, session, question, source=source, message_id=message_id)
                except Exception as error:
                    status = type(error).__name__
                slowest[0] = max(slowest[0], time.monotonic() - started)
                if status == 200:
                    answered[session["session_id"]].append((message_id, question))
                else:
                    failed.append((question, status))
                if stop.is_set():
                    break

    patients = [threading.Thread(target=patient) for _ in range(4)]
    for thread in patients:
        thread.start()
    try:
        for n, program in enumerate(("rasa:rasa-0", "rasa:rasa-1")):
            time.sleep(3)
            killed = prod.kill(program)
            prod.wait_restarted(program, killed, prod.replicas[n])
        time.sleep(2)
    finally:
        stop.set()
        for thread in patients:
            thread.join(90)
    stored = stored_turns(prod, answered)
    sent = sum(len(messages) for messages in answered.values()) + len(failed)
    doubled = sum(count - 1 for turns in stored.values() for count in Counter(turns).values() if count > 1)
    lost = sum(1 for conversation, messages in answered.items() for m in messages if m not in stored[conversation])
    resent = [line for line in (prod.log_dir / "nginx.log").read_text().splitlines()
              if line.startswith("{") and ", " in json.loads(line)["upstream"]]
    print(f"kill -9 under load: {sent} messages in {len(answered)} conversations, {len(failed)} failed, "
          f"{doubled} doubled, {lost} lost; {len(resent)} calls sent again by nginx; slowest {slowest[0]:.1f} s")
    assert sent > 100
    assert failed == []
    assert doubled == 0 and lost == 0
    assert all(turns == answered[conversation] for conversation, turns in stored.items()), \
        "each conversation stores exactly the messages answered, in order"


def test_a_replica_killed_in_the_middle_of_a_turn_holding_its_lock(prod):
    """The turn waits in the action server (its submit on a locked table) when its replica is killed: nothing of
    it was saved, so nginx's second try runs it afresh on the other replica, once the dead replica's lock on the
    conversation lapses (TICKET_LOCK_LIFETIME, 20 s). The patient gets the reference after that delay; the
    request is stored once, the turn once."""
    from listening import calls_being_answered

    assert all(is_ready(url) for url in prod.replicas)
    time.sleep(2)  # nginx skips a replica for 2 s after it failed a call (fail_timeout), e.g. in an earlier test
    session = new_session(prod.channel)
    for message in BOOKING_UP_TO_THE_NAME + BOOKING_DETAILS:
        say(prod, session, message)
    engine = create_engine(prod.db_url)
    blocker = engine.connect()
    held = blocker.begin()
    blocker.execute(text("lock table clinic_requests in access exclusive mode"))
    answer, confirm = {}, str(uuid.uuid4())
    patient = threading.Thread(target=lambda: answer.update(
        reply=chat(prod.channel, session, "yes send it", message_id=confirm)))
    started = time.monotonic()
    patient.start()
    try:
        for _ in range(120):  # the replica answering it: the one with nginx's call open (no keepalive)
            busy = [n for n, url in enumerate(prod.replicas)
                    if calls_being_answered(prod.pid(f"rasa:rasa-{n}"), int(url.rsplit(":", 1)[1]))]
            if len(busy) == 1:
                break
            time.sleep(0.25)
        assert len(busy) == 1, busy
        time.sleep(1)  # into the action server's submit
        killed = prod.kill(f"rasa:rasa-{busy[0]}")
    finally:
        held.rollback()
        blocker.close()
    patient.join(90)
    status, _, reply = answer["reply"]
    waited = time.monotonic() - started
    print(f"killed mid-turn: status {status} after {waited:.1f} s")
    stored = requests_of(prod, session)
    assert status == 200 and len(stored) == 1 and stored[0].reference in reply["messages"][0]["text"], reply
    assert [turn for turn in stored_turns(prod, [session["session_id"]])[session["session_id"]]
            if turn[0] == confirm] == [(confirm, "yes send it")]
    prod.wait_restarted(f"rasa:rasa-{busy[0]}", killed, prod.replicas[busy[0]])


def test_the_action_server_killed_during_a_booking_submit(prod):
    """Killed while its submit waits on a lock on the requests table: the patient hears it did not go, and after the
    action server is back a second "yes" stores the request exactly once."""
    session = new_session(prod.channel)
    for message in BOOKING_UP_TO_THE_NAME + BOOKING_DETAILS:
        status, reply = say(prod, session, message)
    assert "Shall I send it" in reply

    engine = create_engine(prod.db_url)
    blocker = engine.connect()
    held = blocker.begin()
    blocker.execute(text("lock table clinic_requests in access exclusive mode"))
    answer = {}
    patient = threading.Thread(target=lambda: answer.update(reply=say(prod, session, "yes send it")))
    patient.start()
    for _ in range(120):  # until the action server's submit waits on the lock (a new snapshot each time)
        with engine.connect() as db:
            waiting = db.execute(text("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                      "and query ilike '%clinic_requests%' and pid <> pg_backend_pid()")).scalar()
        if waiting:
            break
        time.sleep(0.5)
    assert waiting, "the submit never reached the database"
    killed = prod.kill("actions")
    held.rollback()
    blocker.close()
    patient.join(60)
    status, reply = answer["reply"]
    assert "reference" not in reply.lower() and "has your booking request" not in reply.lower(), reply
    assert requests_of(prod, session) == [], reply
    prod.wait_restarted("actions", killed, prod.actions)

    status, reply = say(prod, session, "yes send it")
    stored = requests_of(prod, session)
    assert len(stored) == 1 and stored[0].kind == "booking", reply
    assert stored[0].reference in reply, reply
    say(prod, session, "yes send it")  # a third "yes" adds nothing
    assert len(requests_of(prod, session)) == 1


def test_the_notification_worker_killed_mid_send_delivers_after_its_restart(prod):
    prod.webhook.hold_next("callback")
    session = new_session(prod.channel)
    say(prod, session, "can someone call me back?")
    say(prod, session, "Ana Ruiz")
    say(prod, session, "555 201 7788")
    say(prod, session, "what does it cost")
    reference = requests_of_after(prod, session, say(prod, session, "yes send it"))
    assert prod.webhook.held.wait(60), "the worker never called the webhook"
    killed = prod.kill("notifications")  # while the receiver holds its call
    prod.webhook.release.set()
    prod.wait_restarted("notifications", killed, prod.worker)

    deadline = time.monotonic() + 90
    delivery_ids = lambda: [c for c in prod.webhook.calls if c.startswith(reference)]  # noqa: E731
    while time.monotonic() < deadline and not (len(delivery_ids()) >= 2 and mail_about(prod, reference)):
        time.sleep(1)
    assert len(delivery_ids()) >= 2, "the webhook call cut off by the kill is made again"
    assert len(set(delivery_ids())) == 1, "with the same idempotency key, so the receiver can de-duplicate"
    assert mail_about(prod, reference), "the email goes out too"
    with create_engine(prod.db_url).connect() as db:
        assert db.execute(text("select count(*) from clinic_outbox o join clinic_requests r on r.id = o.request_id "
                               "where r.reference = :r and o.status = 'sent'"), {"r": reference}).scalar() == 2


def requests_of_after(prod, session, said) -> str:
    status, reply = said
    (reference, kind), = requests_of(prod, session)
    assert kind == "callback" and reference in reply
    return reference


def mail_about(prod, reference) -> bool:
    return any(reference in text for _, text in prod.mailbox.messages)


def honest(reply: str) -> bool:
    """The channel's 'something went wrong' answer: try again, call the clinic, the emergency number."""
    profile = clinic_profile()
    return "try again" in reply and profile.emergency_number in reply


def test_the_conversation_database_unreachable_gets_an_honest_answer_not_a_forgetful_one(prod):
    """Rasa's own habit would answer from an empty conversation kept in memory: here the turn fails
    honestly, and once the database is back the form carries on where it was."""
    session = new_session(prod.channel)
    assert "name" in say(prod, session, BOOKING_UP_TO_THE_NAME[0])[1].lower()
    tracker_db = prod.tracker_url.rsplit("/", 1)[1]
    admin = create_engine(prod.tracker_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(text(f'alter database "{tracker_db}" allow_connections false'))
        db.execute(text("select pg_terminate_backend(pid) from pg_stat_activity where datname = :d"), {"d": tracker_db})
    try:
        status, reply = say(prod, session, "Ana Ruiz")
        assert status == 500 and honest(reply), reply
    finally:
        with admin.connect() as db:
            db.execute(text(f'alter database "{tracker_db}" allow_connections true'))
    status, reply = say(prod, session, "Ana Ruiz")
    assert status == 200 and "phone" in reply.lower(), reply
    assert patient_messages(prod, session)[-2:] == ["I'd like to book an appointment", "Ana Ruiz"]


def test_postgresql_restart_gets_an_honest_answer_and_service_comes_back(prod):
    session = new_session(prod.channel)
    assert "name" in say(prod, session, BOOKING_UP_TO_THE_NAME[0])[1].lower()
    cluster = next(line.split()[:2] for line in subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True,
                                                                text=True).stdout.splitlines() if " 5432 " in line)
    subprocess.run([*PG_CLUSTER, *cluster, "stop", "-m", "fast"], check=True, timeout=60)
    try:
        status, reply = say(prod, session, "Ana Ruiz")
        assert status == 500 and honest(reply), reply
        assert not any(is_ready(url) for url in prod.replicas), "a replica without its database is not ready"
    finally:
        subprocess.run([*PG_CLUSTER, *cluster, "start"], check=True, timeout=60)
    status, reply = say(prod, session, "Ana Ruiz")  # the same message again, in the same form
    assert status == 200 and "phone" in reply.lower(), reply
    assert patient_messages(prod, session)[-2:] == ["I'd like to book an appointment", "Ana Ruiz"], \
        "nothing lost, and the message that failed is not stored twice"
    assert all(is_ready(url) for url in prod.replicas)


def test_redis_down_gets_an_honest_answer_and_service_comes_back(prod):
    session = new_session(prod.channel)
    assert "name" in say(prod, session, BOOKING_UP_TO_THE_NAME[0])[1].lower()
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], timeout=30)
    try:
        status, reply = say(prod, session, "Ana Ruiz")
        assert status == 500 and honest(reply), reply
    finally:
        subprocess.run(REDIS_START, check=True, timeout=30)
    time.sleep(1)
    status, reply = say(prod, session, "Ana Ruiz")
    assert status == 200 and "phone" in reply.lower(), reply
    assert patient_messages(prod, session)[-2:] == ["I'd like to book an appointment", "Ana Ruiz"]
