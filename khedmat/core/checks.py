"""Deployment checks (`manage.py check --deploy`): the problems of core.deployment, under any
settings module. Production settings refuse to load with any of them; these checks name them
for a deployment that derives its own settings from base.py."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register

from . import deployment


@register(Tags.security, deploy=True)
def production_secrets_hosts_and_cache(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    found = [
        ("core.E001", deployment.secret_key_problem(
            settings.SECRET_KEY, known=deployment.known_secret_keys(settings.BASE_DIR))),
        ("core.E002", deployment.allowed_hosts_problem(settings.ALLOWED_HOSTS)),
        ("core.E003", deployment.cache_problem(settings.CACHES)),
    ]
    return [Error(problem, id=check_id) for check_id, problem in found if problem]
