"""Log-in and sign-up are rate-limited per client IP and per email."""

from __future__ import annotations

import pytest

from api.ratelimit import RateLimiter
from tests.api.helpers import client_for, unique_email

pytestmark = pytest.mark.integration  # the real PostgreSQL (and RabbitMQ)


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(6, clock=lambda: now[0])  # one every 10 s, bursts of 6
    assert [limiter.take("k") for _ in range(6)] == [0.0] * 6
    assert limiter.take("k") == 10.0
    assert limiter.take("other") == 0.0
    now[0] += 10
    assert limiter.take("k") == 0.0
    assert limiter.take("k") > 0


def test_zero_is_off() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.take("k") == 0 for _ in range(1000))


async def test_login_is_limited_per_email(database_url: str) -> None:
    async with client_for(database_url, VIGIL_AUTH_RATE_PER_EMAIL="3") as api:
        email = unique_email()
        body = {"email": email, "password": "whatever it is"}
        codes = [(await api.post("/api/v1/auth/login", json=body)).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = await api.post("/api/v1/auth/login", json=body)
        assert int(limited.headers["Retry-After"]) >= 1
        # Another email from the same address is not held back by this one.
        other = {"email": unique_email(), "password": "whatever it is"}
        assert (await api.post("/api/v1/auth/login", json=other)).status_code == 401


async def test_signup_is_limited_per_ip(database_url: str) -> None:
    async with client_for(database_url, VIGIL_AUTH_RATE_PER_IP="2") as api:
        codes = []
        for _ in range(3):
            body = {"email": unique_email(), "password": "long enough pass"}
            codes.append((await api.post("/api/v1/auth/signup", json=body)).status_code)
        assert codes[2] == 429 and all(c in (201, 202) for c in codes[:2])  # 201: the first
