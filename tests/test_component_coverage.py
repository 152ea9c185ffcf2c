"""Every custom graph component of the clinic has its own component test (tests/test_component_<module>.py,
in Rasa's style: create, train, persist, load, process), and every one config.yml names is registered
with Rasa's recipe: a new component cannot arrive without its test file."""
import importlib
import pkgutil
from pathlib import Path

import pytest
import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe

import clinic.nlp

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def registered_clinic_components() -> list[type]:
    for module in pkgutil.iter_modules(clinic.nlp.__path__):
        importlib.import_module(f"clinic.nlp.{module.name}")
    return sorted({registered.clazz for registered in DefaultV1Recipe._registered_components.values()
                   if registered.clazz.__module__.startswith("clinic.")}, key=lambda c: c.__name__)


def configured_clinic_components() -> set[str]:
    names = set()
    for config in ("config.yml", "config-diet.yml"):
        for entry in yaml.safe_load((ROOT / config).read_text(encoding="utf-8"))["pipeline"]:
            if entry["name"].startswith("clinic."):
                names.add(entry["name"])
    return names


def test_the_six_components_are_found():
    assert [c.__name__ for c in registered_clinic_components()] == [
        "AnswerFallbackClassifier", "LanguageDetector", "LinearAnswerSelector", "LinearIntentClassifier",
        "RedFlagClassifier", "RiskGuard"]


@pytest.mark.parametrize("component", registered_clinic_components(), ids=lambda c: c.__name__)
def test_each_registered_component_has_its_component_test(component):
    test_file = TESTS / f"test_component_{component.__module__.rsplit('.', 1)[-1]}.py"
    assert test_file.exists(), f"{component.__name__} has no component test {test_file.name}"
    assert component.__name__ in test_file.read_text(encoding="utf-8")


def test_every_clinic_component_in_the_configs_is_registered_with_rasa():
    registered = {f"{c.__module__}.{c.__name__}" for c in registered_clinic_components()}
    assert configured_clinic_components() <= registered
