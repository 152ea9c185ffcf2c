"""Rasa's own command line with the clinic's patches, so the gates test what production runs.

    python -m clinic.rasa_patches test core --stories tests --model models/clinic.tar.gz

CLINIC_RASA_SPEEDUPS=off runs it without the speed-only patches.
"""

import sys


def main() -> None:
    import rasa.__main__

    from clinic import rasa_patches

    rasa_patches.apply()
    sys.argv = ["rasa", *sys.argv[1:]]
    rasa.__main__.main()


if __name__ == "__main__":
    main()
