"""The FAQ answer selector: the clinic's linear text model as a Rasa component.

Chooses which answer of the retrieval intent (`faq/does_it_hurt`, ...) fits a
message and writes it as Rasa's ResponseSelector does (`response_selector`,
key "default"), so `utter_faq`, the answer fallback, the rules, `rasa test nlu`
and the held-out gate work unchanged.

It reads the whole message: with several questions (clinic/nlp/questions.py)
the first one asked is the answer chosen and all of them go under `questions`
in the parse result, for `action_answer_other_questions`; a short follow-up
that is unsure on its own is read with the conversation's topic
(clinic/nlp/follow_ups.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text, Type

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_DEFAULT_INTENT,
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from clinic.nlp import questions, text_model
from clinic.nlp.follow_ups import QUESTION_METADATA_KEY, TOPIC_METADATA_KEY, names_elsewhere, with_topic
from clinic.nlp.intents import set_intent
from clinic.nlp.linear_component import LinearComponent
from clinic.nlp.whole_message import settings

QUESTIONS_KEY = "questions"
FOLLOW_UP_KEY = "read_with_topic"
FAQ_INTENT = "faq"
OTHER_CONDITIONS = "faq/ask_clinic_other_conditions"
# Intents a question inside a story or a list may be mistaken for as a whole.
GIVES_WAY_TO_QUESTIONS = {FAQ_INTENT, "unclear", "out_of_scope", "nlu_fallback"}
Ranking = List[tuple]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearAnswerSelector(LinearComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # "confident": config.yml sets it to the fallback's threshold (a YAML alias), so a
        # question found in a clause is confident in the same sense as a whole message.
        return {**LinearComponent.get_default_config(), "confident": 0.6}

    def labelled_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        return [
            (m, m.get(INTENT_RESPONSE_KEY))
            for m in training_data.intent_examples
            if m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)
        ]

    def extra_to_keep(self, training_data: TrainingData) -> dict:
        keys = {m.get(INTENT_RESPONSE_KEY) for m in training_data.intent_examples if m.get(INTENT_RESPONSE_KEY)}
        return {
            "retrieval_intents": sorted(
                {m.get(INTENT) for m in training_data.intent_examples if m.get(INTENT_RESPONSE_KEY)}
            ),
            "responses": {key: training_data.responses.get(f"utter_{key}", []) for key in keys},
        }

    def process(self, messages: List[Message]) -> List[Message]:
        for message, ranking in zip(messages, self.rankings(messages)):
            if ranking:
                self._write(message, self._read_whole(message, ranking))
        return messages

    def _classify(self, samples: list[text_model.Sample]) -> list[tuple[str, float]]:
        return [ranking[0] for ranking in text_model.ranking(self.trained["model"], samples)]

    def _read_whole(self, message: Message, ranking: Ranking) -> Ranking:
        """The ranking to write: the first of several questions, or a follow-up read with its topic."""
        confident = float(self.config["confident"])
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        words = [questions.Word(t.text, t.lemma or t.text, t.start, t.end) for t in tokens]
        asked = questions.questions(questions.clauses(message.get(TEXT) or "", words), self._classify, confident)
        # One question in a short message: the whole message, its context included, reads best
        # ("I've had sciatica for years. Can needling still help me?"); in a long story, the question.
        story = len(words) > settings()["story_words"]
        if len(asked) > 1 or (asked and (story or ranking[0][1] < confident)):
            message.set(
                QUESTIONS_KEY,
                [{"topic": q.topic, "confidence": round(q.confidence, 3)} for q in asked],
                add_to_output=True,
            )
            self._make_it_a_question(message, asked[0].confidence)
            return _first(ranking, asked[0].topic, asked[0].confidence)
        topic = (message.get("metadata") or {}).get(TOPIC_METADATA_KEY)
        if topic and len(words) <= settings()["follow_up_most_words"]:
            return self._follow_up(message, ranking, words, topic, confident)
        return ranking

    def _follow_up(
        self, message: Message, ranking: Ranking, words: list[questions.Word], topic: str, confident: float
    ) -> Ranking:
        sure_alone = ranking[0][1] >= confident
        plain = [w.text for w in words]
        # "and the day after?" may read as a topic of its own alone, yet it names an aspect of the one
        # before: it is read with that topic too, and the surer reading wins.
        elliptical = questions.elliptical(plain)
        if elliptical and names_elsewhere(plain):  # "what about my shoulder?": another condition
            return self._read_as_follow_up(message, ranking, topic, OTHER_CONDITIONS, max(confident, ranking[0][1]))
        if sure_alone and not elliptical and ranking[0][0] not in settings()["pronoun_not_about"]:
            # "and the symptoms?": a clear answer, though alone the intent reads as unclear
            self._make_it_a_question(message, ranking[0][1])
            return ranking
        key, confidence = "", 0.0
        # The topic's subject put in first; the question before as well only when that is unsure, since
        # its words pull towards its own topic ("and the day after?" after the twitch is soreness).
        for readings in self._readings_with_topic(message, words, topic, pronoun_only=sure_alone and not elliptical):
            key, confidence = max([(key, confidence), *self._classify(readings)], key=lambda r: r[1])
            if confidence >= confident:
                break
        if confidence < confident or (sure_alone and confidence <= ranking[0][1]):
            if sure_alone:
                self._make_it_a_question(message, ranking[0][1])
            return ranking
        return self._read_as_follow_up(message, ranking, topic, key, confidence)

    def _readings_with_topic(
        self, message: Message, words: list[questions.Word], topic: str, pronoun_only: bool
    ) -> list[list[text_model.Sample]]:
        """The follow-up with the topic's subject put in; then after the question that got the topic."""
        readings: list[list[text_model.Sample]] = []
        texts = with_topic([w.text for w in words], topic, pronoun_only=pronoun_only)
        lemmas = with_topic([w.lemma for w in words], topic, pronoun_only=pronoun_only)
        if texts and lemmas:  # lemmas None: its pronoun's lemma is no listed pronoun
            readings.append([(" ".join(texts), lemmas)])
        before = str((message.get("metadata") or {}).get(QUESTION_METADATA_KEY) or "").strip()
        if before and not pronoun_only:
            # The question's own words, lower-cased, stand in for its lemmas: it was parsed a turn ago.
            readings.append([(f"{before} {message.get(TEXT)}", [*before.lower().split(), *(w.lemma for w in words)])])
        return readings

    def _read_as_follow_up(
        self, message: Message, ranking: Ranking, topic: str, key: str, confidence: float
    ) -> Ranking:
        message.set(FOLLOW_UP_KEY, topic, add_to_output=True)
        self._make_it_a_question(message, confidence)
        return _first(ranking, key, confidence)

    @staticmethod
    def _make_it_a_question(message: Message, confidence: float) -> None:
        """The intent becomes `faq` unless the classifier is surer of something else (a booking)."""
        intent = message.get(INTENT) or {}
        name, current = intent.get(INTENT_NAME_KEY), intent.get("confidence", 0.0)
        if name == FAQ_INTENT and current >= confidence:
            return
        if name in GIVES_WAY_TO_QUESTIONS or current < confidence:
            set_intent(message, FAQ_INTENT, confidence)
            # The readings overruled are no rival guesses: the fallback's ambiguity check must not see them.
            message.set(
                INTENT_RANKING_KEY,
                [
                    r
                    for r in message.get(INTENT_RANKING_KEY) or []
                    if r.get(INTENT_NAME_KEY) == FAQ_INTENT or r.get(INTENT_NAME_KEY) not in GIVES_WAY_TO_QUESTIONS
                ],
                add_to_output=True,
            )

    def _write(self, message: Message, ranking: Ranking) -> None:
        key, confidence = ranking[0]
        selected = {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: self.trained["responses"].get(key, []),
                PREDICTED_CONFIDENCE_KEY: confidence,
                INTENT_RESPONSE_KEY: key,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{key}",
            },
            RESPONSE_SELECTOR_RANKING_KEY: [{PREDICTED_CONFIDENCE_KEY: c, INTENT_RESPONSE_KEY: k} for k, c in ranking],
        }
        message.set(
            RESPONSE_SELECTOR_PROPERTY_NAME,
            {
                RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self.trained["retrieval_intents"],
                RESPONSE_SELECTOR_DEFAULT_INTENT: selected,
            },
            add_to_output=True,
        )


def _first(ranking: Ranking, key: str, confidence: float) -> Ranking:
    return [(key, confidence), *[(k, c) for k, c in ranking if k != key]]
