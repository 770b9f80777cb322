"""Fixtures of these tests: cheap password hashing for the personas (see ``nrm.cases.tests.helpers``)."""

from nrm.cases.tests.helpers import _fast_passwords  # noqa: F401
