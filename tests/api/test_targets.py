"""Which URLs a test may have, and which hosts count as private (unit tests, no I/O)."""

from __future__ import annotations

import pytest

from api.targets import check_url, is_private, url_host


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/path?q=1#frag",
        "HTTPS://EXAMPLE.COM/",
        "http://example.com:8080/",
        "http://user:pass@example.com/",
        "http://[2001:db8::1]:8443/",
        "http://93.184.215.14/",
    ],
)
def test_urls_an_http_check_can_use(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "example.com",
        "//example.com/",
        "http://",
        "http:///path",
        "http://example.com:0x50/",
        "http://example.com:65536/",
        "http://[::1",
        "http://exa\tmple.com/",
        "http://example.com/\x00",
    ],
)
def test_urls_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_url(url)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "255.255.255.255",
        "192.0.2.1",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "localhost",
        "db.localhost",
    ],
)
def test_private_hosts(host: str) -> None:
    assert is_private(host)


@pytest.mark.parametrize(
    "host",
    [
        "93.184.215.14",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "example.com",
        "10.example.com",
        "1e100.net",
    ],
)
def test_public_hosts_and_names(host: str) -> None:
    # Names are resolved and checked by the executor at check time, not here.
    assert not is_private(host)


def test_url_host_is_lower_cased_without_brackets() -> None:
    assert url_host("http://EXAMPLE.com:80/") == "example.com"
    assert url_host("http://[::1]:80/") == "::1"
