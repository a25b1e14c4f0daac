"""The per-kind config validators the API and the executor share: garbage is named."""

import pytest

from shared import checkspec
from shared.messages import CHECK_KINDS

GOOD = {
    "http": {"url": "https://example.com/health"},
    "tcp": {"url": "tcp://example.com:22"},
    "tls": {"url": "tls://example.com"},
    "ping": {"url": "icmp://example.com"},
    "dns": {"url": "dns://9.9.9.9", "name": "example.com"},
    "smtp": {"url": "smtp://mail.example.com"},
    "redis": {"url": "redis://:pw@cache.example.com"},
    "postgres": {"url": "postgresql://app:pw@db.example.com/app"},
    "mysql": {"url": "mysql://app@db.example.com/app"},
    "rabbitmq": {"url": "amqp://app:pw@mq.example.com/prod"},
}


def test_every_kind_has_a_validator_and_an_example() -> None:
    assert set(checkspec.VALIDATORS) == set(CHECK_KINDS) == set(GOOD)


@pytest.mark.parametrize("kind", CHECK_KINDS)
def test_good_configs_get_defaults(kind: str) -> None:
    cfg = checkspec.validate(kind, GOOD[kind])
    assert cfg["url"] == GOOD[kind]["url"] and cfg["retries"] == 1


def test_targets_split_with_default_ports_and_credentials() -> None:
    t = checkspec.target("postgres", "postgresql://app:p%40ss@db.example.com/app")
    assert (t.host, t.port, t.user, t.password, t.path) == (
        "db.example.com",
        5432,
        "app",
        "p@ss",
        "app",
    )
    assert checkspec.target("tls", "tls://[2001:db8::1]").port == 443
    assert checkspec.target("rabbitmq", "amqps://h").port == 5671


@pytest.mark.parametrize(
    "kind,config,field",
    [
        ("http", "not a map", "config"),
        ("http", {}, "url"),
        ("http", {"url": None}, "url"),
        ("http", {"url": "ftp://x/"}, "url"),
        ("http", {"url": "http://x:70000/"}, "url"),
        ("http", {"url": "http:///nohost"}, "url"),
        ("http", {"url": "http://x/", "method": "get"}, "method"),
        ("http", {"url": "http://x/", "expected_status": []}, "expected_status"),
        ("http", {"url": "http://x/", "expected_status": [True]}, "expected_status"),
        ("http", {"url": "http://x/", "headers": {"Bad Name": "v"}}, "headers"),
        ("http", {"url": "http://x/", "headers": {"X": 5}}, "headers"),
        ("http", {"url": "http://x/", "body": b"bytes"}, "body"),
        ("http", {"url": "http://x/", "follow_redirects": "yes"}, "follow_redirects"),
        ("http", {"url": "http://x/", "regex": "[unclosed"}, "regex"),
        ("http", {"url": "http://x/", "json_path": "a b"}, "json_path"),
        ("http", {"url": "http://x/", "basic_auth": {"username": "a:b"}}, "basic_auth"),
        ("http", {"url": "http://x/", "ca_pem": "not pem"}, "ca_pem"),
        ("http", {"url": "http://x/", "cert_warn_days": -1}, "cert_warn_days"),
        ("http", {"url": "http://x/", "cert_warn_days": 366}, "cert_warn_days"),
        ("http", {"url": "http://x/", "cert_warn_days": "14"}, "cert_warn_days"),
        ("http", {"url": "http://x/", "cert_warn_days": True}, "cert_warn_days"),
        ("tls", {"url": "tls://x", "cert_warn_days": 1.5}, "cert_warn_days"),
        ("http", {"url": "http://x/", "retries": 6}, "retries"),
        ("http", {"url": "http://x/", "degraded_ms": "fast"}, "degraded_ms"),
        ("tcp", {"url": "tcp://x"}, "url"),
        ("tls", {"url": "tls://x", "warn_days": -1}, "warn_days"),
        ("ping", {"url": "icmp://x", "count": 0}, "count"),
        ("dns", {"url": "dns://1.1.1.1"}, "name"),
        ("dns", {"url": "dns://1.1.1.1", "name": "x", "record_type": "ANY"}, "record_type"),
        ("dns", {"url": "dns://1.1.1.1", "name": "x", "expected": [1]}, "expected"),
        ("smtp", {"url": "smtp://x", "starttls": 1}, "starttls"),
        ("redis", {"url": "http://x"}, "url"),
        ("nope", {}, "kind"),
    ],
)
def test_garbage_is_refused_naming_the_field(kind: str, config, field: str) -> None:
    with pytest.raises(ValueError) as err:
        checkspec.validate(kind, config)
    assert str(err.value).startswith(f"{field}:"), str(err.value)


def test_certificate_warning_days_default_to_14_and_0_turns_them_off() -> None:
    from shared.checkspec import cert_warn_days, validate

    assert validate("http", {"url": "https://x/"})["cert_warn_days"] == 14
    assert validate("http", {"url": "https://x/", "cert_warn_days": 0})["cert_warn_days"] == 0
    assert validate("tls", {"url": "tls://x"})["warn_days"] == 14
    assert validate("tls", {"url": "tls://x", "cert_warn_days": 30})["warn_days"] == 30
    assert (
        validate("tls", {"url": "tls://x", "warn_days": 7, "cert_warn_days": 30})["warn_days"] == 7
    )
    # What the processor reads from a stored test: lenient, never raising.
    assert [
        cert_warn_days(k, c)
        for k, c in [
            ("http", {}),
            ("http", {"cert_warn_days": 3}),
            ("tls", {"warn_days": 0}),
            ("tls", {"cert_warn_days": 20}),
            ("http", {"cert_warn_days": "x"}),
            ("http", {"cert_warn_days": -5}),
            ("http", None),
            ("http", []),
            ("tcp", {}),
            ("nope", {"cert_warn_days": 9}),
        ]
    ] == [14, 3, 0, 20, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("kind", CHECK_KINDS)
def test_the_option_table_names_what_the_validator_reads(kind: str) -> None:
    """The API's schema comes from OPTIONS: it must name exactly the fields `validate` reads
    (TLS's `cert_warn_days` is another name of its `warn_days`)."""
    read = set(checkspec.validate(kind, GOOD[kind]))
    aliases = {"cert_warn_days"} if kind == "tls" else set()
    assert set(checkspec.OPTIONS[kind]) - aliases == read
    required = {name for name, o in checkspec.OPTIONS[kind].items() if o.required}
    for name in required:  # each required field, left out, is refused by name
        with pytest.raises(ValueError, match=f"^{name}: "):
            checkspec.validate(kind, {k: v for k, v in GOOD[kind].items() if k != name})
    examples = {
        name: o.example
        for name, o in checkspec.OPTIONS[kind].items()
        if o.example is not None and name != "cert_warn_days"
    }
    assert checkspec.validate(kind, examples)  # every example is itself valid
