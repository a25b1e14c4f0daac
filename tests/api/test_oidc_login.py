"""POST /auth/oidc/{name}/login refuses garbage naming the field, an unknown provider with
404 and an unreachable one with 401 "provider", storing nothing; and VIGIL_OIDC_* garbage
stops start-up naming the variable. The whole flow: tests/e2e/test_browser_sso.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.config import ConfigError, Settings
from shared.tables import accounts
from tests.api.helpers import client_for
from tests.targets import free_port

AUTH = "/api/v1/auth/oidc"
GOOD = {
    "code": "a-code",
    "redirect_uri": "http://127.0.0.1/cb",
    "code_verifier": "v" * 43,
    "nonce": "n" * 24,
}


@pytest.fixture(scope="module")
async def sso(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    # Nothing listens on the issuer's port: the API cannot even discover the provider.
    async with client_for(
        database_url,
        VIGIL_OIDC_PROVIDERS="corp",
        VIGIL_OIDC_CORP_ISSUER=f"http://127.0.0.1:{free_port()}",
        VIGIL_OIDC_CORP_CLIENT_ID="vigil",
        VIGIL_OIDC_CORP_CLIENT_SECRET="s",
    ) as client:
        yield client


async def _accounts(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(accounts)))


@pytest.mark.integration
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": 5}, "code"),
        ({"code": "a b"}, "code"),
        ({"code": "x" * 2049}, "code"),
        ({"redirect_uri": None}, "redirect_uri"),
        ({"code_verifier": "short"}, "code_verifier"),
        ({"code_verifier": "v" * 42 + "!"}, "code_verifier"),
        ({"nonce": "n"}, "nonce"),
        ({"nonce": "n" * 24 + "\u00e9"}, "nonce"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_garbage_is_refused_naming_the_field(
    sso: httpx.AsyncClient, engine: AsyncEngine, change: dict[str, Any], field: str
) -> None:
    before = await _accounts(engine)
    answer = await sso.post(f"{AUTH}/corp/login", json={**GOOD, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][-1] == field
    assert await _accounts(engine) == before


@pytest.mark.integration
async def test_a_missing_field_is_named(sso: httpx.AsyncClient) -> None:
    for field in GOOD:
        body = {k: v for k, v in GOOD.items() if k != field}
        answer = await sso.post(f"{AUTH}/corp/login", json=body)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == field


@pytest.mark.integration
async def test_an_unknown_or_unreachable_provider_is_refused(
    sso: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await _accounts(engine)
    assert (await sso.post(f"{AUTH}/other/login", json=GOOD)).status_code == 404
    answer = await sso.post(f"{AUTH}/corp/login", json=GOOD)
    assert answer.status_code == 401 and answer.json()["detail"] == "provider"
    assert await _accounts(engine) == before


BASE = {
    "VIGIL_OIDC_PROVIDERS": "corp",
    "VIGIL_OIDC_CORP_ISSUER": "https://idp.example.com",
    "VIGIL_OIDC_CORP_CLIENT_ID": "vigil",
}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"VIGIL_OIDC_PROVIDERS": "Bad Name"}, "VIGIL_OIDC_PROVIDERS"),
        ({"VIGIL_OIDC_CORP_ISSUER": "ftp://idp"}, "VIGIL_OIDC_CORP_ISSUER"),
        ({"VIGIL_OIDC_CORP_ISSUER": ""}, "VIGIL_OIDC_CORP_ISSUER"),
        ({"VIGIL_OIDC_CORP_CLIENT_ID": ""}, "VIGIL_OIDC_CORP_CLIENT_ID"),
        ({"VIGIL_OIDC_CORP_ROLES": "ops=admin"}, "VIGIL_OIDC_CORP_ROLES"),
        ({"VIGIL_OIDC_CORP_ROLES": "=editor"}, "VIGIL_OIDC_CORP_ROLES"),
        (
            {"VIGIL_OIDC_CORP_CLIENT_SECRET_FILE": "/nonexistent/secret"},
            "VIGIL_OIDC_CORP_CLIENT_SECRET_FILE",
        ),
    ],
)
def test_bad_provider_settings_stop_start_up(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**BASE, **change})


@pytest.mark.unit
def test_provider_settings_are_read_and_the_secret_never_shown(tmp_path: Any) -> None:
    secret = tmp_path / "s"
    secret.write_text("top-secret\n")
    settings = Settings.from_env(
        {
            **BASE,
            "VIGIL_OIDC_CORP_CLIENT_SECRET_FILE": str(secret),
            "VIGIL_OIDC_CORP_ROLES": "ops=editor, admins=owner",
            "VIGIL_OIDC_CORP_TEAM": "Boss@Example.com",
        }
    )
    (corp,) = settings.oidc_providers
    assert corp.client_secret == "top-secret" and corp.team == "boss@example.com"
    assert corp.roles == (("ops", "editor"), ("admins", "owner"))
    assert "top-secret" not in repr(settings.public())
