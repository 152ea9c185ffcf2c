"""The secure patient web channel that the website widget talks to.

Registered in credentials.yml as `clinic.channel.ClinicWebInput`.
"""

from clinic.channel.web import ClinicWebInput

__all__ = ["ClinicWebInput"]
