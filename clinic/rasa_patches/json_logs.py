"""Service: the logging file's handlers (JSON lines, deploy/logging.yml) are kept.

Replaces rasa.utils.io.configure_colored_logging, only when the server is started
with --logging-config-file: Rasa would otherwise put its coloured handler over
the file's.
"""

from __future__ import annotations

from clinic.rasa_patches.fit import Name

REPLACES = (Name("rasa.utils.io", "configure_colored_logging", ("loglevel",)),)
RELIES_ON = ()


def apply() -> None:
    import rasa.utils.io

    rasa.utils.io.configure_colored_logging = lambda loglevel: None
