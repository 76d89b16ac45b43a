"""Fixtures for documents: the Ministry of Interior's passport service (which issues a
certificate when approved), citizens, its officer and approver, through the real services."""

from khedmat.applications.tests.conftest import (  # noqa: F401 (fixtures)
    approver,
    citizen,
    foreign_officer,
    moi,
    officer,
    other_agency,
    other_citizen,
    passport,
)
