"""The clinic's facts (name, clinician, contact, hours, emergency number, crisis line, and the
optional facts patients ask about: parking, insurance, prices, referral, languages).

Read once from `profile.yml`, overridable per field by `CLINIC_<FIELD>`
environment variables. Placeholders are written in [square brackets].
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import yaml

PROFILE_FILE = Path(__file__).with_name("profile.yml")
# Facts answered by a topic of their own (data/faq/clinic_facts.yml; hours and address are in
# utter_clinic_contact): each also goes into a slot
# `clinic_fact_<field>` that is empty while the field is a placeholder, so the topic's answer is
# the honest "the clinic can tell you" variation until the clinic fills it in.
FACTS = ("parking", "insurance", "prices", "referral", "languages")


@dataclass(frozen=True)
class ClinicProfile:
    name: str
    clinician: str
    phone: str
    email: str
    address: str
    hours: str
    website: str
    emergency_number: str
    crisis_line: str
    crisis_line_name: str
    crisis_line_es: str
    parking: str
    insurance: str
    prices: str
    referral: str
    languages: str

    def placeholders(self) -> list[str]:
        """Fields the clinic has not filled in yet."""
        return [f.name for f in fields(self) if is_placeholder(getattr(self, f.name))]

    def as_slots(self) -> dict[str, str | None]:
        """Profile values under the slot names the responses use, e.g. {clinic_phone}."""
        slots = {f"clinic_{f.name}": getattr(self, f.name) for f in fields(self)}
        facts = {
            f"clinic_fact_{name}": None if is_placeholder(getattr(self, name)) else getattr(self, name)
            for name in FACTS
        }
        return {**slots, **facts}


def is_placeholder(value: str) -> bool:
    return value.startswith("[") and value.endswith("]")


def load_profile(path: Path = PROFILE_FILE, environ: Mapping[str, str] | None = None) -> ClinicProfile:
    environ = os.environ if environ is None else environ
    values = yaml.safe_load(path.read_text(encoding="utf-8"))
    for field in fields(ClinicProfile):
        override = environ.get(f"CLINIC_{field.name.upper()}", "").strip()
        if override:
            values[field.name] = override
        if not str(values.get(field.name) or "").strip():
            raise ValueError(f"clinic profile: '{field.name}' is empty in {path}")
        values[field.name] = str(values[field.name])
    return ClinicProfile(**{f.name: values[f.name] for f in fields(ClinicProfile)})


@lru_cache(maxsize=1)
def clinic_profile() -> ClinicProfile:
    """The profile of the running process, read once."""
    return load_profile()


if __name__ == "__main__":
    profile = clinic_profile()
    for name in profile.placeholders():
        print(f"note: the clinic profile's '{name}' is still a placeholder: {getattr(profile, name)}")
