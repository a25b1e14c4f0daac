from executor import confirm
from executor.checks.base import CheckContext, Outcome
from shared.messages import Status, TestSpec


def _spec(**config: object) -> TestSpec:
    return TestSpec(1, "a", "l", "fake", 60, 1.0, config, 1)


def _scripted(*outcomes: Outcome):
    calls = []

    async def run(spec: TestSpec, ctx: CheckContext) -> Outcome:
        calls.append(spec)
        return outcomes[min(len(calls), len(outcomes)) - 1]

    return run, calls


UP = Outcome(Status.UP, 1.0, extras={"connect_ms": 0.5})
DOWN = Outcome.failed("timeout", "no answer")


async def test_up_at_once_is_not_retried_and_carries_no_attempts() -> None:
    run, calls = _scripted(UP)
    assert await confirm.confirmed(run, _spec(retries=3), None) == UP and len(calls) == 1


async def test_a_failure_that_passes_on_retry_says_so() -> None:
    run, calls = _scripted(DOWN, UP)
    outcome = await confirm.confirmed(run, _spec(retries=2), None)
    assert outcome.status is Status.UP and len(calls) == 2
    assert outcome.extras == {"connect_ms": 0.5, "attempts": 2, "first_error": "timeout"}


async def test_a_confirmed_failure_used_every_retry() -> None:
    run, calls = _scripted(DOWN)
    outcome = await confirm.confirmed(run, _spec(retries=3), None)
    assert outcome.status is Status.DOWN and outcome.extras["attempts"] == 4 == len(calls)


async def test_default_no_retry_and_hopeless_failures() -> None:
    run, calls = _scripted(DOWN)
    await confirm.confirmed(run, _spec(), None)
    assert len(calls) == 1 + confirm.DEFAULT_RETRIES
    run, calls = _scripted(DOWN)
    await confirm.confirmed(run, _spec(retries=0), None)
    assert len(calls) == 1
    run, calls = _scripted(Outcome.failed("config", "url: required"))
    await confirm.confirmed(run, _spec(retries=5), None)
    assert len(calls) == 1


def test_garbage_retries_fall_back_to_the_default() -> None:
    for garbage in ("3", True, None, 2.5):
        assert confirm.retries_of(_spec(retries=garbage)) == confirm.DEFAULT_RETRIES
    assert confirm.retries_of(_spec(retries=99)) == 5
