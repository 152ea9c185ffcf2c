"""The knowledge base covers every part of the article, with enough phrasings."""

from clinic import PROJECT_ROOT, knowledge

HELD_OUT = PROJECT_ROOT / "tests" / "nlu_heldout.yml"
ARTICLE_TOPICS = {
    "what_is_sciatica", "sciatica_causes", "sciatica_symptoms", "sciatica_untreated",
    "what_is_dry_needling", "how_it_helps", "which_muscles", "trigger_points",
    "mobility_benefit", "healing_blood_flow", "session_steps", "needle_time",
    "twitch_feeling", "aftercare_soreness", "who_treats", "how_many_sessions",
    "combining_therapies", "chiropractic_adjustments", "infrared_sauna",
    "compression_therapy", "does_it_hurt", "time_to_relief", "is_it_safe",
    "chronic_sciatica",
}


def retrieval_topics(by_intent):
    return {intent for intent in by_intent if "/" in intent}


def test_every_article_topic_has_a_sourced_answer():
    answered = {knowledge.topic_of(r.name) for r in knowledge.responses() if r.source}
    assert {f"faq/{topic}" for topic in ARTICLE_TOPICS} <= answered


def test_every_topic_has_at_least_12_training_phrasings():
    training = knowledge.training_examples()
    for topic in retrieval_topics(training):
        assert len(training[topic]) >= 12, topic


def test_every_topic_has_an_answer_and_every_answer_a_topic():
    training = knowledge.training_examples()
    answered = {knowledge.topic_of(r.name) for r in knowledge.responses() if "/" in r.name}
    assert retrieval_topics(training) == answered


def test_no_phrasing_is_trained_for_two_intents():
    owner = {}
    for intent, phrasings in knowledge.training_examples().items():
        for text in phrasings:
            assert owner.setdefault(text.lower(), intent) == intent, f"{text!r}: {owner[text.lower()]} and {intent}"


def test_held_out_set_has_5_per_topic_and_never_repeats_training():
    trained = {t.lower() for texts in knowledge.training_examples().values() for t in texts}
    held_out = {}
    for intent, text in knowledge.examples(HELD_OUT):
        held_out.setdefault(intent, []).append(text)
        assert text.lower() not in trained, f"held-out phrasing is also trained: {text!r}"
    for topic in retrieval_topics(knowledge.training_examples()):
        assert len(held_out.get(topic, [])) >= 5, topic
