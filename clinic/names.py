"""Names the assistant's parts share with domain.yml: slots and responses read by more than
one package (actions, the patient channel, the staff console). One spelling each, here;
tests/test_names.py checks every one exists in the domain."""

# Slots
TOPIC = "faq_topic"  # the FAQ topic of the last answer: follow-ups are read by it
RED_FLAG_TIER = "red_flag_tier"  # crisis / emergency / urgent, set by the safety net
RED_FLAGS = "red_flags"
PATIENT_LANGUAGE = "patient_language"  # the language the safety replies are given in
PATIENT_NAME = "patient_name"
REQUEST_REFERENCE = "request_reference"  # MC-…, once a booking or callback is stored

# Responses
REPHRASE = "utter_rephrase"
FALLBACK_RESPONSES = frozenset({REPHRASE, "utter_default"})  # the patient was not understood
