"""Throttles count per client address, also behind load balancers, and cannot be dodged."""

from __future__ import annotations

from django.test import RequestFactory, override_settings

from khedmat.core.ratelimit import Throttle, client_ip


def test_without_proxies_the_socket_address_counts_and_the_header_is_ignored() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(request) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=1)
def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote() -> None:
    # The client forged "1.2.3.4"; our load balancer appended the address it really saw.
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=2)
def test_a_short_header_falls_back_to_the_socket() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "10.0.0.5"


def test_a_throttle_refuses_past_its_limit_and_counts_per_identity() -> None:
    throttle = Throttle("test", 2, 60)
    assert not throttle.is_exceeded("a")
    throttle.hit("a")
    throttle.hit("a")
    assert throttle.is_exceeded("a")
    assert not throttle.is_exceeded("b")
    throttle.reset("a")
    assert not throttle.is_exceeded("a")
