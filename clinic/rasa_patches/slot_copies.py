"""Speed: slots copied directly instead of through copy.copy's pickle protocol.

Adds Slot.__copy__. Rasa copies every slot of the domain each time it builds a
tracker, dozens of times a turn while the rule policy replays the conversation,
through copy.copy's generic protocol: a twentieth of the server's time (py-spy).
Slots are plain objects, so a new one with the same attributes is what copy.copy
makes.
"""

from __future__ import annotations

from clinic.rasa_patches.fit import Name

REPLACES = (Name("rasa.shared.core.slots", "Slot.__copy__", absent=True),)
RELIES_ON = ()


def apply() -> None:
    from rasa.shared.core.slots import Slot

    def __copy__(self):
        copied = self.__class__.__new__(self.__class__)
        copied.__dict__.update(self.__dict__)
        return copied

    Slot.__copy__ = __copy__
