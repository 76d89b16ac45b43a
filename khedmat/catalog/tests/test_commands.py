"""`import_service` and `export_service`: the YAML round trip from the command line."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from khedmat.accounts.models import User
from khedmat.catalog.models import Agency, Category, Service, ServiceVersion

from .factories import PASSPORT_YAML


def _import(*args: str) -> str:
    out = StringIO()
    call_command("import_service", *args, stdout=out)
    return out.getvalue()


def test_import_publishes_then_reports_no_change(tmp_path: Path, moi: Agency, category: Category,
                                                 moi_admin: User) -> None:
    path = tmp_path / "moi-psp.yaml"
    path.write_text(PASSPORT_YAML, encoding="utf-8")
    assert "Published MOI-PSP version 1." in _import(str(path), "--agency", "MOI", "--by", "admin.moi")
    assert "No change: MOI-PSP version 1 is current." in _import(str(path))  # agency read from the file
    version = ServiceVersion.objects.get()
    assert version.published_by == moi_admin


def test_import_refuses_a_malformed_file_and_saves_nothing(tmp_path: Path, moi: Agency, category: Category) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(PASSPORT_YAML.replace("role: approver", "role: minister"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"Refused, nothing saved: workflow.transitions\[4\].role: Unknown role"):
        _import(str(path), "--agency", "MOI")
    assert not Service.objects.exists()


def test_import_refuses_another_agencys_file(tmp_path: Path, moi: Agency, mof: Agency, category: Category) -> None:
    path = tmp_path / "moi-psp.yaml"
    path.write_text(PASSPORT_YAML, encoding="utf-8")
    with pytest.raises(CommandError, match="belongs to MOI, not MOF"):
        _import(str(path), "--agency", "MOF")
    with pytest.raises(CommandError, match="No agency has the code"):
        _import(str(path), "--agency", "XYZ")


def test_export_prints_what_import_reads_back(tmp_path: Path, passport: Service) -> None:
    out = StringIO()
    call_command("export_service", "moi", "psp", stdout=out)
    path = tmp_path / "export.yaml"
    path.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue().startswith("agency: MOI\ncode: PSP\n")
    assert "No change" in _import(str(path))

    call_command("export_service", "MOI", "PSP", "--output", str(tmp_path / "file.yaml"), stderr=StringIO())
    assert (tmp_path / "file.yaml").read_text(encoding="utf-8") == out.getvalue()


def test_export_of_an_unknown_service_fails(moi: Agency) -> None:
    with pytest.raises(CommandError, match="no service with the code"):
        call_command("export_service", "MOI", "NOPE", stdout=StringIO())
