"""The centers' hall fixtures (a center with queue groups, counters and operators, its manager,
and browsers paired as its devices)."""

from khedmat.centers.tests.conftest import hall, manager, tablet_at  # noqa: F401
