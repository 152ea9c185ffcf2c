"""Every shared name (clinic/names.py) is one the domain declares: a rename in domain.yml
that forgets the code fails here, not in a patient's conversation."""
import yaml

from clinic import PROJECT_ROOT, names


def test_every_shared_slot_and_response_name_is_in_the_domain():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    slots, responses = set(domain["slots"]), set(domain["responses"])
    shared = {value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)}
    missing = {name for name in shared if name not in slots and name not in responses}
    assert not missing, f"clinic/names.py names what domain.yml does not declare: {sorted(missing)}"
    assert names.FALLBACK_RESPONSES <= responses | {"utter_default"}  # utter_default is Rasa's own
