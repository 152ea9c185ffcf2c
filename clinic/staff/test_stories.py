"""A conversation saved from the console as a Rasa test story, so `make test` holds the
assistant to it from then on.

The story is Rasa's own (`GET /conversations/<id>/story` of the running assistant, the
format `rasa test core --e2e` reads), tidied: the clinic's details set at every session
start are left out, and an FAQ message names the answer it got ("faq/does_it_hurt").
It goes to tests/test_conversations_from_the_console.yml, run with the other
conversation tests by scripts/test.sh.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

import requests
import yaml

from clinic.faq.corrections import CorrectionRefused
from clinic.faq.writing import (
    WriteRefused,
    dump_quoted,
    has_markup,
    printable,
    read_test_stories,
    read_yaml,
    replace_file,
)
from clinic.operations.model_reload import ReloadFailed, admin_token, api_secret
from clinic.prod.topology import Topology, run_dir
from clinic.staff.conversations import Conversation
from clinic.staff.privacy import mask

logger = logging.getLogger(__name__)
STORIES_FILE = Path("tests") / "test_conversations_from_the_console.yml"  # Rasa reads test stories from test_*.yml
HEADER = (
    '# Conversations staff saved from the console ("Save as a test"): `make test` checks the\n'
    "# assistant still answers them this way. Delete a story that no longer says what it should.\n"
    'version: "3.1"\n\nstories:\n'
)


def assistant_url() -> str:
    """The running assistant's API: CLINIC_RASA_URL, else the first replica `make run`/`make prod` started."""
    topology = Topology.load(run_dir())
    return os.environ.get("CLINIC_RASA_URL") or (topology.replica_urls[0] if topology else "http://localhost:5005")


def rasa_story_steps(conversation_id: str) -> list[dict]:
    """The conversation's steps as Rasa writes a test story (every session of it, in order)."""
    try:
        answer = requests.get(
            f"{assistant_url()}/conversations/{quote(conversation_id, safe='')}/story",
            params={"all_sessions": "true"},
            timeout=10,
            headers={"Authorization": f"Bearer {admin_token(api_secret())}"},
        )
    except (requests.RequestException, ReloadFailed) as error:
        logger.warning("no story from the assistant for %s: %s", conversation_id, error)
        raise CorrectionRefused("the assistant is not answering just now; try again in a minute") from error
    if answer.status_code != 200:
        logger.warning("no story from the assistant for %s: HTTP %s", conversation_id, answer.status_code)
        raise CorrectionRefused("the assistant could not write this conversation down just now; try again in a minute")
    stories = (yaml.safe_load(answer.text) or {}).get("stories") or []
    return [step for story in stories for step in story.get("steps") or []]


def story_steps(conversation: Conversation, steps: list[dict]) -> list[dict]:
    """Rasa's steps from the first patient message on, FAQ messages named by the answer they got."""
    answers = iter(t.answer for t in conversation.turns if t.speaker == "patient")
    first = next((i for i, step in enumerate(steps) if "user" in step), len(steps))
    kept = []
    for step in steps[first:]:
        if "user" in step and str(step["user"]).startswith("/"):
            continue  # a widget payload such as the hidden "/greet": not a patient's words
        if "user" in step:
            answer = next(answers, None)
            if step.get("intent") == "faq" and answer:
                step = {**step, "intent": answer}
        kept.append(step)
    return kept


def refusal(conversation: Conversation) -> str | None:
    """Why this conversation cannot become a test, or None."""
    patient = [t for t in conversation.turns if t.speaker == "patient"]
    if not patient:
        return "the patient said nothing"
    if conversation.names_given or any(mask(t.text, set()) != t.text for t in patient):
        return (
            "the patient gave personal details (a name, phone or email), and tests are read by the whole "
            "team: save a conversation without them"
        )
    if any(has_markup(t.text) for t in patient):
        return (
            "a message holds brackets that the conversation tests would read as labels ([…](…)); "
            "a developer can write this test by hand"
        )
    if any(t.read_with_topic for t in patient):
        return (
            "a message was read as a follow-up of an earlier question, and the conversation tests read "
            "each message alone (a developer can add it to tests/whole_message.yml)"
        )
    return None


def save_test_story(conversation: Conversation, username: str, root: Path) -> Path:
    """Appends the conversation to the console's test stories; raises CorrectionRefused saying why not."""
    why = refusal(conversation)
    if why:
        raise CorrectionRefused(why)
    path = root / STORIES_FILE
    before = path.read_text(encoding="utf-8") if path.exists() else HEADER
    marker = f"conversation {conversation.conversation_id} "
    if marker in before:
        raise CorrectionRefused("this conversation is saved as a test already")
    steps = story_steps(conversation, rasa_story_steps(conversation.conversation_id))
    try:
        # Rasa's own words for each step (its entity markup included), printable, every value quoted:
        # Rasa would expand a "${VAR}" the patient typed, and an unset one breaks `make test`.
        steps = [{**step, "user": printable(step["user"])} if "user" in step else step for step in steps]
        story = {"story": f"{marker}of {conversation.started_at:%d %b %Y}, saved by {username}", "steps": steps}

        def read_back(path_written: Path) -> None:
            read_test_stories(path_written)
            saved = read_yaml(path_written).get("stories") or []
            if not saved or saved[-1] != story:
                raise CorrectionRefused("the test file could not be written; nothing was saved")

        replace_file(path, before.rstrip("\n") + "\n\n" + dump_quoted([story]), read_back)
    except WriteRefused as why:
        raise CorrectionRefused(str(why)) from None
    except OSError as error:  # a server that keeps the project read-only
        raise CorrectionRefused(
            f"the tests cannot be changed on this server ({error.strerror}); ask whoever runs it"
        ) from None
    return path
