"""Does the installed Rasa still look the way the patches were written for?

Each patch lists the Rasa names it replaces or relies on. A name that has moved,
lost a parameter or (for a name we add) appeared in Rasa itself means the patch
no longer does what its module says, so the assistant must not start with it.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Optional


@dataclass(frozen=True)
class Name:
    """A name in Rasa's code, e.g. Name("rasa.core.tracker_store", "SQLTrackerStore.save", ("self", "tracker"))."""

    module: str
    path: str
    parameters: Optional[tuple[str, ...]] = None  # None: only that it exists
    absent: bool = False  # a name the patch adds: Rasa must not have one of its own
    mentions: tuple[str, ...] = ()  # private attributes its source must still set or use, e.g. "self._retrieve"

    def __str__(self) -> str:
        return f"{self.module}.{self.path}"

    def problem(self) -> Optional[str]:
        """What does not fit, or None."""
        try:
            found: object = importlib.import_module(self.module)
        except ImportError as error:
            return f"{self}: cannot import {self.module} ({error})"
        *owners, last = self.path.split(".")
        for part in owners:
            found = getattr(found, part, None)
            if found is None:
                return f"{self}: {part} no longer exists"
        if self.absent:
            return f"{self}: Rasa now has one of its own" if hasattr(found, last) else None
        if not hasattr(found, last):
            return f"{self}: no longer exists"
        if self.parameters is not None:
            have = tuple(inspect.signature(getattr(found, last)).parameters)
            if have != self.parameters:
                return f"{self}: parameters are now {have}, the patch expects {self.parameters}"
        if self.mentions:
            try:
                source = inspect.getsource(getattr(found, last))
            except (OSError, TypeError):
                return f"{self}: its source cannot be read to check it"
            missing = [word for word in self.mentions if word not in source]
            if missing:
                return f"{self}: no longer uses {', '.join(missing)}"
        return None


def installed_rasa() -> str:
    try:
        return version("rasa")
    except PackageNotFoundError:
        return "none"


def problems(patches, written_for: tuple[str, ...], rasa_version: Optional[str] = None) -> list[str]:
    """Everything that does not fit, for the patches given; [] when all do."""
    rasa_version = rasa_version or installed_rasa()
    found = []
    if rasa_version not in written_for:
        found.append(f"Rasa {rasa_version} is installed; the patches were written for {', '.join(written_for)}")
    for patch in patches:
        for name in (*patch.REPLACES, *patch.RELIES_ON):
            trouble = name.problem()
            if trouble:
                found.append(f"{patch.__name__.rsplit('.', 1)[-1]}: {trouble}")
    return found
