"""Which URLs a webhook may name, its backoff, and its signature."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from easel_gateway.core.webhooks import private_host, retry_delay, signature, url_problem


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "example.com/hook", "https:///no-host", "https://a b.com/"]
)
def test_what_is_not_an_http_url_with_a_host_is_refused(url: str) -> None:
    assert url_problem(url) is not None


def test_an_https_url_is_fine() -> None:
    assert url_problem("https://hooks.example.com/easel?team=7") is None


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST.",
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.9",
        "169.254.169.254",
        "::1",
        "fd00::1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_loopback_link_local_and_private_hosts_are_private(host: str) -> None:
    assert private_host(host)


@pytest.mark.parametrize("host", ["hooks.example.com", "93.184.216.34", "2606:4700::1111"])
def test_public_hosts_and_names_are_not(host: str) -> None:
    assert not private_host(host)  # a name's addresses are checked when it is resolved


def test_tries_back_off_to_five_minutes() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 8, 20)] == [2.0, 4.0, 8.0, 256.0, 300.0]


def test_the_signature_is_an_hmac_of_the_exact_body() -> None:
    body = b'{"id":"api_1"}'
    expected = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature("secret", body) == f"sha256={expected}"
    assert signature("secret", body + b" ") != signature("secret", body)
