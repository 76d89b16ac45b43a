"""The centers' hall fixtures (a center with queue groups, counters and operators)."""

from khedmat.centers.tests.conftest import hall  # noqa: F401
