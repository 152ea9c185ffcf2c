"""Reading booking details from what patients type."""
from datetime import datetime

import pytest

from clinic.requests.booking import (find_contact, find_name, find_preferred_time, name_from_answer,
                            patient_status, visit_reason)

TUESDAY_BEFORE = datetime(2026, 11, 24, 10)  # a Tuesday


def test_everything_in_one_message():
    text = "book me Tuesday, I'm Ana, 555 201 7788"
    assert find_name(text) == "Ana"
    assert find_contact(text).value == "+15552017788"
    assert find_preferred_time(text, TUESDAY_BEFORE) == ("Tuesday", "2026-12-01")


def test_contacts_are_validated_and_normalised():
    assert find_contact("my email is Ana.Ruiz@Example.com").value == "Ana.Ruiz@example.com"
    assert find_contact("call me on (555) 201-7788 please").kind == "phone"
    assert find_contact("+44 20 7946 0958").value == "+442079460958"
    assert find_contact("555 12") is None
    assert find_contact("ana@") is None


def test_names():
    assert find_name("Hi, my name is ana ruiz") == "Ana Ruiz"
    assert find_name("I'm new here") is None
    assert find_name("I'm scared of needles") is None
    assert name_from_answer("Ben Okafor") == "Ben Okafor"
    assert name_from_answer("it's Chloe") == "Chloe"
    assert name_from_answer("555 201 7788") is None


def test_preferred_times_keep_words_and_dates():
    assert find_preferred_time("next Tuesday morning", TUESDAY_BEFORE) == ("Tuesday morning", "2026-12-01")
    assert find_preferred_time("any afternoon", TUESDAY_BEFORE) == ("afternoon", None)
    assert find_preferred_time("Ana Ruiz", TUESDAY_BEFORE) is None


def test_patient_status_and_reason():
    assert patient_status("I'm a new patient") == "new"
    assert patient_status("I've been there before") == "returning"
    assert patient_status("first time") == "new"
    assert visit_reason("skip") == "not given"
    assert visit_reason("sciatica in my left leg") == "sciatica in my left leg"
    assert visit_reason("do you take insurance?") == "do you take insurance"  # the summary adds its own stop
    assert len(visit_reason("x" * 500)) == 200


@pytest.mark.parametrize("reply", ["ok", "Yes!", "sure.", "great", "no"])
def test_an_acknowledgement_is_not_a_name(reply):
    assert name_from_answer(reply) is None
