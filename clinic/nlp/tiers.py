"""The safety net's tiers, most serious first, and which one a message gets.

Plain Python (no spaCy), so the action server, the quality gate and the staff
console share one definition.
"""

from __future__ import annotations

TIERS = ("crisis", "emergency", "urgent")  # what the detector's rules raise
# A red_flag intent without detected flags (the NLU component normally
# prevents it, but e.g. a "/red_flag" payload) gets a safety check listing the
# danger signs, not an alarm.
UNCONFIRMED = {"flag": "classifier_only", "tier": "check", "language": "en"}
ESCALATION_TIERS = (*TIERS, "check")


def escalation_tier(flags: list[dict]) -> str:
    """The most serious tier among a message's flags (as dicts): what the patient is told."""
    tiers = {flag["tier"] for flag in flags}
    return next(tier for tier in ESCALATION_TIERS if tier in tiers)


def most_serious(*tiers: str | None) -> str | None:
    return next((tier for tier in ESCALATION_TIERS if tier in tiers), None)


def reply_language(flags: list[dict]) -> str:
    """ "es" when a Spanish rule matched at the most serious tier, else "en"."""
    tier = escalation_tier(flags)
    return "es" if any(f.get("language") == "es" for f in flags if f["tier"] == tier) else "en"
