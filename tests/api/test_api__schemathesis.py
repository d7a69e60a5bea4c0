"""Property-based run of the whole contract (schemathesis, bounded), as an administrator, as a
caseworker and without a token: whatever it sends, the service answers without a server error,
with a status the operation documents (an explicit one: every problem response is declared, not
only covered by `default`), in a documented content type (every error problem+json), with a body
and headers that fit the documented schema. (Driven with hypothesis directly: schemathesis'
pytest plugin does not load with this pytest.)"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from engine.commands import StartInstance

EXAMPLES_PER_OPERATION = 25


def _content_type(response) -> str:
    value = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    return value[0] if isinstance(value, list) else value


def status_code_declared(ctx, response, case):
    """Stricter than status_code_conformance (which any `default` satisfies): the status itself is
    declared."""
    declared = {code for code in case.operation.responses.status_codes if code != "default"}
    assert str(response.status_code) in declared, (
        f"{case.method} {case.operation.path} answered {response.status_code}, declares {sorted(declared)}")


def errors_are_problems(ctx, response, case):
    if response.status_code >= 400:
        assert _content_type(response).startswith("application/problem+json"), (case.method, case.formatted_path)


CHECKS = [not_a_server_error, status_code_conformance, status_code_declared, content_type_conformance,
          errors_are_problems, response_headers_conformance, response_schema_conformance]


@pytest.mark.parametrize("user", ["admin", "higab", None])
def test_the_contract_holds_for_whatever_is_sent(app, engine, tokens, user):
    engine.execute(StartInstance("procurement", {"procurement_id": "UPH-1", "buyer_organisation": "Higab"}))
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION if user else 5, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            if user:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[user]}"}
            case.validate_response(case.call(), checks=CHECKS)

        check()
