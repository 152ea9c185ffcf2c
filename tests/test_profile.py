"""The clinic profile: one file, environment overrides, marked placeholders."""
import pytest

from clinic.profile import PROFILE_FILE, is_placeholder, load_profile


def test_defaults_come_from_the_article_or_are_marked_placeholders():
    profile = load_profile(environ={})
    assert profile.name == "Movement Chiropractic & Sports Clinic"
    assert profile.clinician == "Dr. Drew Hunt"
    assert profile.emergency_number == "911"
    assert set(profile.placeholders()) == {"phone", "email", "address", "hours", "website",
                                           "parking", "insurance", "prices", "referral", "languages"}


def test_environment_overrides_a_field():
    profile = load_profile(environ={"CLINIC_EMERGENCY_NUMBER": "112", "CLINIC_PHONE": "555 201 7700"})
    assert profile.emergency_number == "112"
    assert profile.phone == "555 201 7700"
    assert "phone" not in profile.placeholders()


def test_profile_values_become_response_slots():
    slots = load_profile(environ={}).as_slots()
    assert slots["clinic_emergency_number"] == "911"
    assert is_placeholder(slots["clinic_phone"])


def test_an_empty_value_is_refused(tmp_path):
    broken = tmp_path / "profile.yml"
    broken.write_text(PROFILE_FILE.read_text().replace('emergency_number: "911"', 'emergency_number: ""'))
    with pytest.raises(ValueError, match="emergency_number"):
        load_profile(broken, environ={})
