"""The trace context without an OTLP endpoint (tracing.py): taken from a
``traceparent`` or started, carried to logs, calls and events, at no SDK cost."""

from __future__ import annotations

import io
import logging
import subprocess
import sys

from entraide_kit import tracing
from entraide_kit.context import Context
from entraide_kit.logging import JsonFormatter

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
HEADER = f"00-{TRACE}-{PARENT}-01"


def test_a_request_joins_the_trace_it_was_sent_with() -> None:
    assert tracing.ids() is None
    token = tracing.enter(HEADER)
    try:
        found = tracing.ids()
        assert found is not None and found[0] == TRACE
        assert found[1] != PARENT  # this process's own part of the trace
        sent = tracing.traceparent()
        assert sent == f"00-{TRACE}-{found[1]}-01"
        assert Context.plain().call_headers()["traceparent"] == sent
    finally:
        tracing.leave(token)
    assert tracing.ids() is None
    assert "traceparent" not in Context.plain().call_headers()


def test_a_request_without_one_starts_a_sampled_trace() -> None:
    for bad in (None, "", "garbage", f"00-{'0' * 32}-{PARENT}-01"):
        token = tracing.enter(bad)
        try:
            found = tracing.ids()
            assert found is not None and found[0] not in (TRACE, "0" * 32)
            assert (tracing.traceparent() or "").endswith("-01")
        finally:
            tracing.leave(token)


def test_log_lines_carry_the_trace_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("probe"))
    logger = logging.getLogger("entraide.test-tracing")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("outside")
        token = tracing.enter(HEADER)
        try:
            logger.warning("inside")
        finally:
            tracing.leave(token)
        with tracing.consumed({"traceparent": HEADER, "Nats-Msg-Id": "x"}, "entraide.a.b.1"):
            logger.warning("consumed")
        with tracing.consumed(None, "entraide.a.b.1"):
            logger.warning("consumed without")
    finally:
        logger.removeHandler(handler)
    import orjson

    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["trace_id"] for line in lines[:3]] == [None, TRACE, TRACE]
    assert lines[3]["trace_id"] not in (None, TRACE)
    assert "span_id" in lines[1] and "span_id" not in lines[0]


def test_no_endpoint_no_sdk() -> None:
    """Without an endpoint nothing of the SDK, exporters or instrumentations is
    imported (a fresh interpreter: what a service process loads)."""
    code = (
        "import sys, os\n"
        "os.environ.pop('OTEL_EXPORTER_OTLP_ENDPOINT', None)\n"
        "os.environ.pop('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', None)\n"
        "from entraide_kit import tracing, app\n"
        "assert tracing.configure('probe') is False\n"
        "loaded = [m for m in sys.modules if m.startswith(('opentelemetry.sdk',"
        " 'opentelemetry.exporter', 'opentelemetry.instrumentation'))]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
