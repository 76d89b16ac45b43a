"""Reads on applications, one module per audience; import from here.

inbox: an agency's open files in deadline order, paginated by keyset
"""

from .inbox import InboxFilters, InboxPage, inbox_page

__all__ = ["InboxFilters", "InboxPage", "inbox_page"]
