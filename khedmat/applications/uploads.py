"""Checking an uploaded file before anything keeps it: its size while it is read, its type
from its first bytes (never from its name or the browser's content type).

Two layers: `upload_limits_install` puts a handler in front of Django's upload handlers, so
a file over its document's limit is dropped as it streams in (nothing of it is written to a
temporary file past the limit); `upload_check` then reads what was received, counting bytes
again, hashing it and deciding its type from the magic bytes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

from khedmat.core.errors import Refusal
from khedmat.core.formatting import format_number

# The content types we keep, each with its signature and the extension a download gets.
ACCEPTED_TYPES: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG", "image/png"),
)
_HEAD_BYTES = max(len(signature) for signature, _type in _SIGNATURES)
# What a browser's file picker offers first; the server decides by content anyway.
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
DEFAULT_MAX_SIZE_MB = 5
_REFUSED_ATTRIBUTE = "_khedmat_refused_uploads"


class UploadRefused(Refusal):
    """A file was refused; `message` is for the person who sent it, `code` for callers."""


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed the checks, ready to be stored (its position is back at 0)."""

    file: UploadedFile
    original_name: str
    content_type: str
    size: int
    sha256: str


def megabytes(size_mb: int) -> int:
    return int(size_mb) * 1024 * 1024


def too_big_message(max_bytes: int) -> str:
    return _("This file is too large: the limit is %(size)s MB. Send a smaller scan or photograph.") % {
        "size": format_number(max(1, max_bytes // (1024 * 1024)))}


def sniff_content_type(head: bytes) -> str | None:
    """The accepted type the first bytes announce, or None."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def upload_check(upload: UploadedFile, *, max_bytes: int) -> CheckedUpload:
    """Read `upload` once: refuse it as soon as it passes `max_bytes`, when it is empty, or
    when its content is not a PDF, JPEG or PNG; otherwise return its size, type and SHA-256."""
    if upload.size is not None and upload.size > max_bytes:
        raise UploadRefused(too_big_message(max_bytes), code="too_big")
    digest = hashlib.sha256()
    size = 0
    head = b""
    upload.seek(0)
    for chunk in upload.chunks():
        size += len(chunk)
        if size > max_bytes:
            raise UploadRefused(too_big_message(max_bytes), code="too_big")
        if len(head) < _HEAD_BYTES:
            head += chunk[: _HEAD_BYTES - len(head)]
        digest.update(chunk)
    if size == 0:
        raise UploadRefused(_("This file is empty."), code="empty")
    content_type = sniff_content_type(head)
    if content_type is None:
        raise UploadRefused(_("This file is not a PDF, JPEG or PNG, whatever its name says. "
                              "Send a scan or a photograph in one of those formats."), code="bad_type")
    upload.seek(0)
    return CheckedUpload(file=upload, original_name=clean_original_name(upload.name or ""),
                         content_type=content_type, size=size, sha256=digest.hexdigest())


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*]+")


def clean_original_name(name: str) -> str:
    """The uploader's file name, kept as data only: no folders, no control characters, short."""
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    return (name or "document")[-150:]


def download_name(original_name: str, content_type: str) -> str:
    """The name a download is saved under: the uploader's name with the extension of what
    the file really is (a PDF named "photo.html" is offered as "photo.pdf")."""
    stem = PurePosixPath(clean_original_name(original_name)).stem or "document"
    return f"{stem}.{ACCEPTED_TYPES.get(content_type, 'bin')}"


# --- refusing too large files while they stream in ---------------------------------------

class UploadLimitHandler(FileUploadHandler):
    """Passes a file on to the next handlers only while it stays under its field's limit.

    A file in a field with no limit, or past its limit, is skipped (`SkipFile`): the rest
    of the form is still read, and the field is listed in `refused_uploads(request)`.
    """

    def __init__(self, request: HttpRequest, limits: dict[str, int]) -> None:
        super().__init__(request)
        self.limits = limits
        self.limit = 0
        self.refused: dict[str, str] = {}

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        # Skipping here would be too early: Django then closes the file objects the other
        # handlers still hold, which belong to the previous (accepted) file.
        self.limit = self.limits.get(field_name, -1)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.limit < 0:
            self.refused[self.field_name] = "unexpected"
            raise SkipFile
        if start + len(raw_data) > self.limit:
            self.refused[self.field_name] = "too_big"
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_limits_install(request: HttpRequest, limits: dict[str, int]) -> None:
    """Limit each file field of this request (field name → bytes). Call before anything
    reads request.POST or request.FILES (the view must be csrf_exempt, then csrf_protect)."""
    handler = UploadLimitHandler(request, limits)
    request.upload_handlers = [handler, *request.upload_handlers]
    setattr(request, _REFUSED_ATTRIBUTE, handler.refused)


def refused_uploads(request: HttpRequest) -> dict[str, str]:
    """The file fields the limit handler dropped, with why ("too_big", "unexpected")."""
    return dict(getattr(request, _REFUSED_ATTRIBUTE, {}))
