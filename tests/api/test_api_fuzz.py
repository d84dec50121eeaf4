"""Property-based fuzzing of the published OpenAPI description (schemathesis) against a real
HTTP server on 127.0.0.1: valid and invalid requests alike must never get a 5xx, and every
answer must match the description. Bounded and seeded, so CI runs are repeatable and short."""

from __future__ import annotations

import os
import threading

import pytest
import schemathesis
from helpers import at, petition
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import WSGIRequestHandler, make_server

from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

# Deeper local runs: PETITION_FLOW_FUZZ_EXAMPLES=500 python -m pytest tests/api/test_api_fuzz.py
MAX_EXAMPLES = int(os.environ.get("PETITION_FLOW_FUZZ_EXAMPLES", "25"))
SEED = 20260302
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # hundreds of requests: keep the output readable
        pass


@pytest.fixture
def server(app, api, Session):
    """The app served over HTTP in a thread, with a few real cases to find, and the alerts
    of their routing deadlines gone red in both callers' inboxes."""
    for n in range(1, 4):
        assert api.post("/petitions", as_="reception", json=petition(n)).status == 201
    with Session() as session:
        swept = sweep_deadlines(session, at("2026-03-18", 9), config=NotifyConfig())
    assert [a.level for a in swept.alerts] == ["red"] * 3
    http = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)
    http.server_close()


# Two callers (schemathesis' lazy tests take no parametrised fixtures): reception reaches
# registration, a county supervisor reaches the figures.
@pytest.fixture
def reception_token(tokens) -> str:
    return tokens("reception")


@pytest.fixture
def supervisor_token(tokens) -> str:
    return tokens("county_supervisor")


@pytest.fixture
def api_schema(server):
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        # The test sends a real token itself; mutating the Authorization header would only
        # be overridden by it and then "accepted".
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": True,
                       "with-security-parameters": False},
    })
    return schemathesis.openapi.from_url(f"{server}/api/v1/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@FUZZ
def test_no_request_of_a_reception_clerk_gets_a_server_error_or_an_undescribed_answer(
    case, reception_token
):
    case.call_and_validate(headers=_bearer(reception_token), checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_no_request_of_a_county_supervisor_gets_a_server_error_or_an_undescribed_answer(
    case, supervisor_token
):
    case.call_and_validate(headers=_bearer(supervisor_token), checks=CHECKS)
