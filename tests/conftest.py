"""Shared fixtures: the trained assistant, loaded once per test session."""
import asyncio

import pytest

from clinic import PROJECT_ROOT

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
