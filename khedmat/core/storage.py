"""Applicants' uploads on S3-compatible storage, so that any web node serves what another stored.

The "private" storage is a folder (PRIVATE_STORAGE_ROOT, one shared mount on every node) or,
with PRIVATE_STORAGE_URL=s3://bucket/prefix, a bucket through django-storages. Either way the
code opens, saves and deletes uploads through Django's Storage API only (never a file's
`.path`, which a bucket does not have), and no URL serves them: a view checks permission and
streams the file. Pure function of plain values: settings import it before Django is set up.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


class StorageUrlError(ValueError):
    """PRIVATE_STORAGE_URL is not s3://bucket[/prefix]."""


def s3_private_storage(url: str, *, endpoint_url: str = "", region: str = "", access_key: str = "",
                       secret_key: str = "") -> dict[str, Any]:
    """The STORAGES entry for private uploads in the bucket and prefix `url` names. Empty keys:
    boto3 finds credentials itself (the instance's role, AWS_* variables)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise StorageUrlError(f"PRIVATE_STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    options: dict[str, Any] = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "default_acl": "private",  # never readable without credentials
        "querystring_auth": True,  # a URL, if one were ever made, expires; none is given out
        "file_overwrite": False,  # generated names; an existing object is never replaced
        "object_parameters": {"ServerSideEncryption": "AES256"} if not endpoint_url else {},
    }
    if endpoint_url:
        options["endpoint_url"] = endpoint_url  # MinIO, Ceph RGW…: an S3-compatible server
    if region:
        options["region_name"] = region
    if access_key or secret_key:
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
