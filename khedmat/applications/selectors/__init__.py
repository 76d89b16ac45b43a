"""Reads on applications, one module per audience; import from here.

inbox: an agency's open files in deadline order, paginated by keyset
office: inbox rows with their time-standard countdown, the file page
files: a file by its key, for other apps
"""

from .agency_files import (
    CURSOR_PATTERN,
    AgencyFilesPage,
    BadCursor,
    agency_file_get,
    agency_files_page,
    file_upload_get,
    file_uploads,
)
from .files import application_get
from .inbox import InboxFilters, InboxPage, inbox_page
from .office import FileView, InboxRow, Sla, inbox_filter_choices, inbox_rows, office_application_get, office_file

__all__ = [
    "CURSOR_PATTERN",
    "AgencyFilesPage",
    "BadCursor",
    "FileView",
    "InboxFilters",
    "InboxPage",
    "InboxRow",
    "Sla",
    "agency_file_get",
    "agency_files_page",
    "application_get",
    "file_upload_get",
    "file_uploads",
    "inbox_filter_choices",
    "inbox_page",
    "inbox_rows",
    "office_application_get",
    "office_file",
]
