"""Property-based checks of the whole API from its OpenAPI description (schemathesis).

Every operation is called with requests generated from its schema, authenticated as an
admin: none may answer with a server error (5xx).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from myotrial.server.app import create_app
from myotrial.server.settings import ServerSettings
from tests.server.conftest import prepare_service, token

pytestmark = pytest.mark.slow


def test_no_operation_answers_with_a_server_error(tmp_path: Path) -> None:
    url = prepare_service(f"sqlite:///{tmp_path / 'schema.db'}")
    app = create_app(
        ServerSettings(db_url=url, secret="z" * 40, secure_cookies=False, login_attempts=100_000)
    )
    with TestClient(app) as client:
        headers = token(client, "admin")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers={**headers, **(case.headers or {})})
            case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])

        call()
