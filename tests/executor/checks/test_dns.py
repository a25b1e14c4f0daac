from collections.abc import AsyncIterator

import pytest

from executor.checks import dns as dns_check
from shared.messages import Status, TestSpec
from tests.dnspeer import dns_server
from tests.executor.checks.peers import context
from tests.targets import free_port


@pytest.fixture(scope="module")
async def port() -> AsyncIterator[int]:
    async with dns_server() as p:
        yield p


def _spec(port: int, name: str, timeout: float = 2.0, **config: object) -> TestSpec:
    config = {"url": f"dns://127.0.0.1:{port}", "name": name, **config}
    return TestSpec(1, "a", "local", "dns", 60, timeout, config, 1)


async def _check(spec: TestSpec, allow_private: bool = True):
    async with context(allow_private) as ctx:
        return await dns_check.run(spec, ctx)


async def test_expected_answers_match_in_any_order_and_case(port: int) -> None:
    outcome = await _check(_spec(port, "www.vigil.test", expected=["192.0.2.11", "192.0.2.10"]))
    assert outcome.status is Status.UP and outcome.extras["answers"] == 2
    mx = await _check(_spec(port, "vigil.test", record_type="MX", expected=["10 MAIL.vigil.test."]))
    assert mx.status is Status.UP
    txt = await _check(_spec(port, "vigil.test", record_type="TXT", expected=["v=spf1 -all"]))
    assert txt.status is Status.UP


async def test_any_answer_is_up_without_expectations(port: int) -> None:
    assert (await _check(_spec(port, "www.vigil.test"))).status is Status.UP


async def test_different_answers_are_a_content_failure(port: int) -> None:
    outcome = await _check(_spec(port, "www.vigil.test", expected=["192.0.2.10"]))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "content")
    assert "192.0.2.11" in outcome.error


async def test_no_records_of_the_type_is_a_content_failure(port: int) -> None:
    outcome = await _check(_spec(port, "www.vigil.test", record_type="AAAA"))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "content")


async def test_nxdomain_and_servfail_are_dns_failures(port: int) -> None:
    for name, words in (("nope.vigil.test", "NXDOMAIN"), ("broken.vigil.test", "SERVFAIL")):
        outcome = await _check(_spec(port, name))
        assert (outcome.status, outcome.error_kind) == (Status.DOWN, "dns")
        assert words in outcome.error


async def test_a_silent_resolver_times_out(port: int) -> None:
    outcome = await _check(_spec(port, "silent.vigil.test", timeout=0.4))
    assert (outcome.status, outcome.error_kind) == (Status.DOWN, "timeout")


async def test_no_resolver_on_the_port_is_refused_or_timeout() -> None:
    outcome = await _check(_spec(free_port(), "www.vigil.test", timeout=0.5))
    assert outcome.status is Status.DOWN and outcome.error_kind in ("refused", "timeout")


async def test_guard_and_config(port: int) -> None:
    guarded = await _check(_spec(port, "www.vigil.test"), allow_private=False)
    assert guarded.error_kind == "forbidden_target"
    for config, field in (({"record_type": "XYZ"}, "record_type"), ({"expected": "x"}, "expected")):
        outcome = await _check(_spec(port, "www.vigil.test", **config))
        assert outcome.error_kind == "config" and outcome.error.startswith(field)
    no_name = await _check(TestSpec(1, "a", "l", "dns", 60, 1, {"url": "dns://1.2.3.4"}, 1))
    assert no_name.error.startswith("name:")
