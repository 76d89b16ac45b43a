"""Reads on applications, one module per audience; import from here.

inbox: an agency's open files in deadline order, paginated by keyset
office: inbox rows with their time-standard countdown, the file page
files: a file by its key, for other apps
figures: a day's filings and decisions, counted, for the public figures
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
from .figures import Decided, Filed, applications_decided_between, applications_filed_between
from .files import application_get
from .inbox import InboxFilters, InboxPage, inbox_page
from .office import FileView, InboxRow, Sla, inbox_filter_choices, inbox_rows, office_application_get, office_file

__all__ = [
    "CURSOR_PATTERN",
    "AgencyFilesPage",
    "BadCursor",
    "Decided",
    "FileView",
    "Filed",
    "InboxFilters",
    "InboxPage",
    "InboxRow",
    "Sla",
    "agency_file_get",
    "agency_files_page",
    "application_get",
    "applications_decided_between",
    "applications_filed_between",
    "file_upload_get",
    "file_uploads",
    "inbox_filter_choices",
    "inbox_page",
    "inbox_rows",
    "office_application_get",
    "office_file",
]
