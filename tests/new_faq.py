"""The FAQ a developer adds in the walk-through of docs/authoring-faqs.md: exercise after dry needling."""
from clinic.faq.author import NewTopic

EXERCISE = NewTopic(
    key="exercise_after_needling",
    family="dry_needling",
    source="Aftercare and Recovery",
    answer="Some soreness after a session is normal, a bit like after a workout. It usually goes away in a day "
           "or two. Dr. Hunt will give you aftercare advice, like gentle stretches and drinking water, so ask him "
           "what exercise suits you.",
    examples=["can I exercise after dry needling", "is it ok to work out after dry needling",
              "can i go to the gym after my needling session", "can I run after dry needling",
              "is exercise allowed after needling", "when can I train again after dry needling",
              "can I do sport after a needling session", "can I lift weights the same day as dry needling",
              "how soon can I play football after needling", "is it fine to go cycling after my appointment"],
)
