"""Settings of the gunicorn test in test_server.py: local ones, with production's HTTPS rules."""

from nrm.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
