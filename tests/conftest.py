"""Shared fixtures: the trained assistant, loaded once per test session."""
import asyncio
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from clinic import PROJECT_ROOT
from local_servers import POSTGRES_URL, require_postgres, running_assistant, start_smtp_server
from databases import migrated_store

MODEL = PROJECT_ROOT / "models" / "clinic.tar.gz"


@pytest.fixture(scope="session")
def trained_model():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test trains it first)")
    return MODEL


@pytest.fixture(scope="session")
def understand(trained_model):
    """Parses a patient message with the trained model, as the server would."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))
    return lambda text: asyncio.run(agent.parse_message(text))


@pytest.fixture(scope="session")
def mailbox():
    controller, box = start_smtp_server()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture(scope="session")
def assistant(trained_model, tmp_path_factory, mailbox):
    """The running assistant, as `make run` starts it, with its own databases and mailbox."""
    workdir = tmp_path_factory.mktemp("assistant")
    clinic_env = {"CLINIC_DB_URL": f"sqlite:///{workdir / 'clinic.db'}", "CLINIC_SMTP_HOST": "127.0.0.1",
                  "CLINIC_SMTP_PORT": str(mailbox.port), "CLINIC_MAIL_TO": "desk@clinic.test",
                  "CLINIC_SMTP_SECURITY": "none"}  # the test mailbox speaks no TLS
    with running_assistant(trained_model, workdir, clinic_env) as servers:
        yield {**servers, "url": servers["rest"], "clinic_env": clinic_env,
               "store": migrated_store(clinic_env["CLINIC_DB_URL"])}


@pytest.fixture(scope="session")
def redis_url():
    """Redis of the production topology (127.0.0.1:6379); never skipped in CI."""
    import redis

    url = os.environ.get("CLINIC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {url} in CI")
        pytest.skip(f"Redis is not reachable at {url}")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A clinic database on SQLite and on PostgreSQL (in a schema of its own); never skipped in CI."""
    if request.param == "sqlite":
        yield migrated_store(f"sqlite:///{tmp_path / 'clinic.db'}")
        return
    require_postgres()
    schema = f"test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as db:
        db.execute(text(f"CREATE SCHEMA {schema}"))
    yield migrated_store(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    with admin.begin() as db:
        db.execute(text(f"DROP SCHEMA {schema} CASCADE"))


CHROMIUM = os.environ.get("CLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, driven by Playwright (which never downloads a browser here).

    Per module: Playwright's sync API keeps an event loop running while it is
    open, and other tests call asyncio.run()."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (bash scripts/install_chromium.sh; .ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "in_order: the module's tests are one scenario and keep their written order "
                                       "(pytest-randomly still places the module anywhere)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """After pytest-randomly's shuffle: a module marked `in_order` gets its tests back in written order,
    in the places its tests were shuffled to. Only tests/test_staff_console.py is, a known debt (its
    later steps read what earlier ones did: the audit log, the conversation lists, a taught answer)."""
    kept: dict = {}
    for at, item in enumerate(items):
        if item.get_closest_marker("in_order"):
            kept.setdefault(item.module, []).append(at)
    for places in kept.values():
        written = sorted((items[at] for at in places), key=lambda item: item.location[1])
        for at, item in zip(places, written):
            items[at] = item
