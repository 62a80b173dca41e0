"""One trace across services (issue 19): a request with a ``traceparent`` that
creates a student leaves log lines with that trace id in students, in auth
(students creates the account there) and in a consumer of the student event
(attendance); with an OTLP endpoint set, the spans of the gateway, those
services and the consumer share the trace, as a test collector receives them."""

from __future__ import annotations

import gzip
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from entraide_stack import Stack, StackConfig
from entraide_stack.testing.gateway import eventually, login

SERVICES = ["auth", "centers", "programs", "students", "attendance"]


class Collector:
    """An OTLP/HTTP receiver of spans: (service name, trace id, span name, kind)."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, str, int]] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self._body()
                if self.headers.get("Content-Encoding") == "gzip":  # Traefik's exporter
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                found = []
                for resource_spans in request.resource_spans:
                    names = [
                        a.value.string_value
                        for a in resource_spans.resource.attributes
                        if a.key == "service.name"
                    ]
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            found.append((names[0], span.trace_id.hex(), span.name, span.kind))
                with collector.lock:
                    collector.spans.extend(found)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding") != "chunked":  # Go's exporter
                    return self.rfile.read(int(self.headers.get("Content-Length", 0)))
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of(self, trace_id: str) -> list[tuple[str, str, str, int]]:
        with self.lock:
            return [s for s in self.spans if s[1] == trace_id]


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    running = Collector()
    running.thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()


@pytest.fixture(scope="module")
def stack(collector: Collector) -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="entraide-e2e-tracing-"))
    config = StackConfig.for_tests(
        root,
        services=SERVICES,
        extra_env={
            "ENTRAIDE_RATE_LIMIT_ANON": "100000",
            "ENTRAIDE_RATE_LIMIT_USER": "100000",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
            # Spans leave at once, not every five seconds.
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        },
    )
    with Stack(config) as running:
        yield running


def _lines_with(stack: Stack, service: str, trace_id: str) -> list[dict[str, Any]]:
    found = []
    for line in stack.log_file(service).read_bytes().splitlines():
        if trace_id.encode() in line:
            try:
                found.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    return found


def test_one_trace_from_the_gateway_through_services_and_events(
    stack: Stack, collector: Collector
) -> None:
    trace_id = os.urandom(16).hex()
    traceparent = f"00-{trace_id}-{os.urandom(8).hex()}-01"
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as gw:
        admin = login(gw, stack.admin_email, stack.admin_password())
        center = gw.post("/api/centers-app/centers/", json={"name": "Centre T"}, headers=admin)
        program = gw.post(
            "/api/programs/trainingprogrames/",
            json={"name": "Programme T", "description": "d", "duration_years": 2},
            headers=admin,
        )
        assert center.status_code == 201 and program.status_code == 201
        body = {
            "first_name": "Amal",
            "last_name": "Trace",
            "exam_id": f"T-{uuid.uuid4().hex[:8]}",
            "center": center.json()["id"],
            "program": program.json()["id"],
            "academic_year": "2024-2025",
            "joining_date": "2024-09-01",
        }
        created = gw.post(
            "/api/students/", json=body, headers={**admin, "traceparent": traceparent}
        )
        assert created.status_code == 201, created.text
        student = created.json()["id"]

    # Logs: the request in students, the account's creation in auth, and the
    # event applied by attendance's consumer, each line with the trace id.
    # Each wait is for the line itself: a service's access line is written as its
    # request ends, after the lines logged during it (which may be read first).
    students_lines = eventually(
        lambda: _lines_with(stack, "students", trace_id),
        lambda lines: any(line.get("msg", "").startswith("POST /api/students/") for line in lines),
    )
    assert all(line["trace_id"] == trace_id for line in students_lines)
    auth_lines = eventually(
        lambda: _lines_with(stack, "auth", trace_id),
        lambda lines: any("/api/accounts/" in line.get("msg", "") for line in lines),
    )
    assert auth_lines
    consumed = eventually(
        lambda: [
            line
            for line in _lines_with(stack, "attendance", trace_id)
            if line.get("msg") == f"applied entraide.students.student.{student} v1"
        ],
        bool,
    )
    assert consumed, "attendance applied the student event outside the request's trace"

    # Spans: one trace, from the gateway (its child of our traceparent), through
    # students and auth, to attendance's consumer span.
    def services() -> set[str]:
        return {s[0] for s in collector.of(trace_id)}

    wanted = {"entraide-students", "entraide-auth", "entraide-attendance", "entraide-gateway"}
    eventually(services, lambda found: wanted <= found)
    assert wanted <= services(), (services(), {s[0] for s in collector.spans})
    consumer_kind = 5  # SPAN_KIND_CONSUMER

    def consumer_span(spans: list[tuple[str, str, str, int]]) -> bool:
        # Each service exports in batches: attendance's statements can reach the
        # collector before its consumer span (which ends after them), so wait for
        # that span itself rather than for any span of the service.
        return any(
            s[0] == "entraide-attendance" and s[3] == consumer_kind and "students.student" in s[2]
            for s in spans
        )

    spans = eventually(lambda: collector.of(trace_id), consumer_span)
    assert consumer_span(spans), spans
    # Nothing else in the collector claims these requests: all of them are children
    # of the one traceparent sent.
    assert {s[1] for s in spans} == {trace_id}
