"""Property-based run of the whole contract (schemathesis, bounded): whatever it sends, the
service answers without a server error, and every error is problem+json; as an administrator
and as a caseworker. (Driven with hypothesis directly: schemathesis' pytest plugin does not
load with this pytest.)"""
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from engine.commands import StartInstance

EXAMPLES_PER_OPERATION = 25


def _content_type(response) -> str:
    value = {k.lower(): v for k, v in response.headers.items()}.get("content-type", "")
    return value[0] if isinstance(value, list) else value


@pytest.mark.parametrize("user", ["admin", "higab"])
def test_no_server_errors(app, engine, tokens, user):
    engine.execute(StartInstance("procurement", {"procurement_id": "UPH-1", "buyer_organisation": "Higab"}))
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[user]}"}
            response = case.call()
            where = (case.method, case.formatted_path)
            assert response.status_code < 500, (*where, response.text[:500])
            if response.status_code >= 400:
                assert _content_type(response).startswith("application/problem+json"), where

        check()
