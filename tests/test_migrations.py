"""The models and the migrations agree: a model change without its migration fails the suite."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration() -> None:
    output = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit as exit_:
        pytest.fail(f"models changed without a migration (exit {exit_.code}); run manage.py makemigrations:\n"
                    f"{output.getvalue()}", pytrace=False)
