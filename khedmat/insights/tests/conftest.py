"""The insights' fixtures: a hall (from the centers' tests) whose tickets are served and rated."""

from khedmat.centers.tests.conftest import hall, operator  # noqa: F401
