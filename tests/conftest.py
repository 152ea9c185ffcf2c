"""Shared fixtures: the trained assistant, loaded once per test session."""
import asyncio
import os

import pytest

from clinic import PROJECT_ROOT
from clinic.store import ClinicStore
from local_servers import running_assistant, start_smtp_server

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
                  "CLINIC_SMTP_PORT": str(mailbox.port), "CLINIC_MAIL_TO": "desk@clinic.test"}
    with running_assistant(trained_model, workdir, clinic_env) as servers:
        yield {**servers, "url": servers["rest"], "clinic_env": clinic_env,
               "store": ClinicStore(clinic_env["CLINIC_DB_URL"])}


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
