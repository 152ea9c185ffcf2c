"""What the trained assistant understands from patient messages."""
from clinic import knowledge
from clinic.requests import booking

# Buttons under "have you been before?" send answers for the booking form,
# read by clinic.requests.booking; all others send a phrasing the model is trained on.
FORM_ANSWER_RESPONSES = {"utter_ask_patient_status", "utter_invalid_patient_status"}
BUTTONS = sorted({(b["title"], b["payload"]) for r in knowledge.responses() for b in r.buttons
                  if r.name not in FORM_ANSWER_RESPONSES})


def answer_key(parse):
    """The topic the assistant will answer, e.g. "faq/does_it_hurt" or "greet"."""
    intent = parse["intent"]["name"]
    selector = parse.get("response_selector", {})
    if intent in selector.get("all_retrieval_intents", []):
        return selector["default"]["response"]["intent_response_key"]
    return intent


def test_every_button_really_answers_its_topic(understand):
    # Rasa cannot target a retrieval intent from a payload, so each button
    # sends a phrasing that the knowledge base trains for its topic.
    owner = {text: intent for intent, texts in knowledge.training_examples().items() for text in texts}
    assert BUTTONS
    for title, payload in BUTTONS:
        assert payload in owner, f"button {title!r} sends an untrained phrasing {payload!r}"
        assert answer_key(understand(payload)) == owner[payload], f"button {title!r}"


def test_new_or_returning_buttons_are_understood_by_the_form():
    answers = {b["payload"]: booking.patient_status(b["payload"])
               for r in knowledge.responses() if r.name in FORM_ANSWER_RESPONSES for b in r.buttons}
    assert sorted(answers.values()) == ["new", "returning"]


def test_clinic_entities_reach_the_parse(understand):
    entities = {(e["entity"], e["value"]) for e in understand("my lower back hurts and my legs are numb")["entities"]}
    assert {("body_part", "lower back"), ("body_part", "legs"), ("symptom", "numb")} <= entities


def test_gibberish_gets_a_rephrase_prompt_not_an_answer(understand):
    for text in ["asdkjh qwpoe zxmn", "purple monkey dishwasher"]:
        # Each of these intents gets a rephrase or scope message, never an answer.
        assert understand(text)["intent"]["name"] in {"nlu_fallback", "unclear", "out_of_scope"}, text


def test_misspelled_questions_are_understood(understand):
    assert answer_key(understand("dose dry neddling hurt alot")) == "faq/does_it_hurt"
    assert answer_key(understand("wat causes siatica")) == "faq/sciatica_causes"
