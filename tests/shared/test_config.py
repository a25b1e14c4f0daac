import pytest

from shared.config import ConfigError, Settings


def test_defaults_work_on_a_developer_machine() -> None:
    s = Settings.from_env({})
    assert s.cell == "a" and s.api_port == 8100 and s.frontend_port == 8080
    assert s.database_url.startswith("postgresql://")
    assert s.allow_private_targets is False


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VIGIL_API_PORT", "eighty"),
        ("VIGIL_API_PORT", "70000"),
        ("VIGIL_ALLOW_PRIVATE_TARGETS", "maybe"),
        ("VIGIL_CELL", "Cell A!"),
        ("VIGIL_SCHEDULER_POLL", "soon"),
        ("VIGIL_SCHEDULER_FULL_READ", "0"),
        ("VIGIL_SCHEDULER_FULL_READ", "often"),
        ("VIGIL_LOG_FORMAT", "xml"),
        ("VIGIL_MIN_INTERVAL", "0"),
        ("VIGIL_SECRET_KEY_FILE", "/nonexistent/secret"),
        ("VIGIL_NOTIFY_MAX_ATTEMPTS", "0"),
        ("VIGIL_NOTIFY_BACKOFF_BASE", "fast"),
        ("VIGIL_NOTIFY_TIMEOUT", "-1"),
        ("VIGIL_NOTIFY_ALLOW_PRIVATE", "sometimes"),
        ("VIGIL_SMTP_URL", "mail.example.com"),
        ("VIGIL_TELEGRAM_API_URL", "ftp://x"),
        ("VIGIL_HOOKS", "page=relative/path"),
        ("VIGIL_HOOKS", "Bad Name=/bin/true"),
        ("VIGIL_HOOKS", "a=/bin/true,,"),
        ("VIGIL_HOOKS_TIMEOUT", "0"),
        ("VIGIL_PROCESSOR_WRITERS", "0"),
        ("VIGIL_PROCESSOR_GROUP_ROWS", "lots"),
        ("VIGIL_RESULTS_RETENTION_DAYS", "-1"),
        ("VIGIL_BATCH_ID_RETENTION_DAYS", "0"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})


def test_secret_from_file(tmp_path) -> None:
    path = tmp_path / "key"
    path.write_text("s3cret\n")
    assert Settings.from_env({"VIGIL_SECRET_KEY_FILE": str(path)}).secret_key == "s3cret"


def test_database_url_from_file(tmp_path) -> None:
    # The URL holds the database password: Compose and Kubernetes mount it as a file.
    path = tmp_path / "uri"
    path.write_text("postgresql://app:pw@db:5432/app\n")
    settings = Settings.from_env({"VIGIL_DATABASE_URL_FILE": str(path)})
    assert settings.database_url == "postgresql://app:pw@db:5432/app"


def test_public_view_masks_secrets() -> None:
    public = Settings.from_env({"VIGIL_SECRET_KEY": "s3cret"}).public()
    assert "s3cret" not in repr(public) and public["cell"] == "a"


def test_hooks_are_name_path_pairs() -> None:
    s = Settings.from_env({"VIGIL_HOOKS": "page=/usr/local/bin/page, log=/bin/logger"})
    assert s.hooks == (("page", "/usr/local/bin/page"), ("log", "/bin/logger"))
    assert Settings.from_env({}).hooks == ()


def test_the_smtp_password_is_masked() -> None:
    public = Settings.from_env({"VIGIL_SMTP_URL": "smtp://u:pw@mail.example"}).public()
    assert "pw" not in repr(public)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"VIGIL_NODE_ID": "node one"}, "VIGIL_NODE_ID"),
        ({"VIGIL_NODE_ID": "x" * 65}, "VIGIL_NODE_ID"),
        ({"VIGIL_ADMIN_EMAILS": "ops@example.com, nobody"}, "VIGIL_ADMIN_EMAILS"),
        ({"VIGIL_HEARTBEAT_INTERVAL": "5", "VIGIL_NODE_DEAD_AFTER": "6"}, "VIGIL_NODE_DEAD_AFTER"),
        ({"VIGIL_REGION_BUFFER_BYTES": "1000"}, "VIGIL_REGION_BUFFER_BYTES"),
        ({"VIGIL_MAX_CLOCK_SKEW": "soon"}, "VIGIL_MAX_CLOCK_SKEW"),
        ({"VIGIL_MAX_CLOCK_SKEW": "0"}, "VIGIL_MAX_CLOCK_SKEW"),
        ({"VIGIL_MAX_CLOCK_SKEW": "nan"}, "VIGIL_MAX_CLOCK_SKEW"),
    ],
)
def test_fleet_settings_refuse_garbage(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_admin_emails_are_a_lower_cased_set() -> None:
    s = Settings.from_env({"VIGIL_ADMIN_EMAILS": " Ops@Example.com,,b@example.com "})
    assert s.admin_emails == {"ops@example.com", "b@example.com"}
    assert s.node_dead_after_s <= 29  # a silent node's tests move within 30 s
    assert s.max_clock_skew_s == 30.0


def test_domain_proof_settings_default_to_the_system_resolver() -> None:
    s = Settings.from_env({})
    assert (s.domain_dns_servers, s.domain_dns_timeout_s, s.domain_claim_days) == ((), 3.0, 7)
    s = Settings.from_env(
        {
            "VIGIL_DOMAIN_DNS_SERVERS": " 192.0.2.53, 127.0.0.1:5353,[::1]:54,::1",
            "VIGIL_DOMAIN_DNS_TIMEOUT": "0.5",
            "VIGIL_DOMAIN_CLAIM_DAYS": "30",
        }
    )
    assert s.domain_dns_servers == (
        ("192.0.2.53", 53),
        ("127.0.0.1", 5353),
        ("::1", 54),
        ("::1", 53),
    )
    assert (s.domain_dns_timeout_s, s.domain_claim_days) == (0.5, 30)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VIGIL_DOMAIN_DNS_SERVERS", "dns.example.com"),
        ("VIGIL_DOMAIN_DNS_SERVERS", "1.2.3.4:0"),
        ("VIGIL_DOMAIN_DNS_SERVERS", "1.2.3.4:65536"),
        ("VIGIL_DOMAIN_DNS_SERVERS", "999.1.1.1"),
        ("VIGIL_DOMAIN_DNS_SERVERS", "1.2.3.4:53:53"),
        ("VIGIL_DOMAIN_DNS_SERVERS", "[1.2.3.4"),
        ("VIGIL_DOMAIN_DNS_SERVERS", "127.0.0.1;rm -rf"),
        ("VIGIL_DOMAIN_DNS_TIMEOUT", "0"),
        ("VIGIL_DOMAIN_DNS_TIMEOUT", "soon"),
        ("VIGIL_DOMAIN_CLAIM_DAYS", "0"),
        ("VIGIL_DOMAIN_CLAIM_DAYS", "1.5"),
    ],
)
def test_domain_proof_settings_refuse_garbage(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
