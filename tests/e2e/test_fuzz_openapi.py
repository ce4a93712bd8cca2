"""Fuzzing with schemathesis over `/openapi.json`, against a real `homewidgets serve` process.

Every operation of the published document gets generated requests, valid (positive) and
invalid (negative) ones, half of them with the right product token so the fuzzing gets
past authentication into validation and storage. The promise checked: no 5xx, and every
answer is documented (status code, content type) and matches its response schema.

Bounded: a few dozen examples per operation and mode (about a minute on the shared host).
The live streams (`/events` SSE, long-polls) are left out: they answer by never ending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from homewidgets.registry import demo_token
from processes import Process, start_service

pytestmark = [pytest.mark.slow]

EXAMPLES_PER_OPERATION = 20
# A batch body is up to 1,000 generated widgets: fewer examples keep the test near a minute.
EXAMPLES_PER_BATCH = 6
PRODUCT = "energy"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Answers that never end (SSE) or wait on purpose (long-poll) cannot be fuzzed call by call.
STREAMING = r"/events$"

Operation = APIOperation[Any, Any, Any, Any]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """One service for the module, on the embedded L2 (what a laptop runs)."""
    process = start_service(tmp_path_factory.mktemp("fuzz"))
    yield process
    process.stop()


def operations(service: Process) -> list[Operation]:
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json", timeout=10)
    selected = schema.exclude(path_regex=STREAMING)
    found: list[Operation] = []
    for result in selected.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document has a broken operation: {result}"
        found.append(result.ok())
    assert len(found) >= 10, "the OpenAPI document lost operations"
    return found


def cases(operation: Operation, mode: GenerationMode) -> st.SearchStrategy[Any]:
    """Generated cases, half of them authenticated as the product in the path."""
    anonymous = operation.as_strategy(mode)
    parameters = {p.name for p in operation.path_parameters}
    if "product" not in parameters:
        return anonymous
    authorised = operation.as_strategy(
        mode,
        path_parameters={"product": PRODUCT},
        headers={"Authorization": f"Bearer {demo_token(PRODUCT)}"},
    )
    return st.one_of(anonymous, authorised)


def modes(operation: Operation) -> list[GenerationMode]:
    """Negative cases need something to break: a parameter or a body."""
    if operation.path_parameters or operation.query or operation.body:
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def fuzz(operation: Operation, mode: GenerationMode, base_url: str) -> None:
    session = requests.Session()

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_BATCH if ":batch" in operation.path else EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    @hypothesis.given(case=cases(operation, mode))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, session=session, checks=CHECKS, timeout=10)

    try:
        run()
    finally:
        session.close()


def test_fuzzing_every_operation_finds_no_5xx_and_no_answer_that_breaks_its_schema(
    service: Process,
) -> None:
    failures: list[str] = []
    tried = 0
    for operation in operations(service):
        for mode in modes(operation):
            tried += 1
            try:
                fuzz(operation, mode, service.url)
            except (Exception, BaseExceptionGroup) as exc:  # report every operation, not one
                failures.append(f"{operation.label} [{mode.value}]: {exc}")
    assert tried >= 15
    assert not failures, "\n\n".join(failures)
    assert "Traceback" not in service.log(), service.log()


def test_the_fuzzer_would_notice_a_5xx(service: Process) -> None:
    """The checks are live: a made-up 500 answer fails `not_a_server_error`."""
    operation = next(o for o in operations(service) if o.path == "/healthz")
    case = operation.Case()
    response = case.call(base_url=service.url)
    response.status_code = 500
    check: Callable[..., object] = case.validate_response
    with pytest.raises(FailureGroup, match="Server error"):
        check(response, checks=[not_a_server_error])
