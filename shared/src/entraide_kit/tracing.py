"""One trace across the gateway, every service and every event (issue 19).

Always on, at the cost of a header parse per request:

- the edge (``enter``) takes the W3C ``traceparent`` the gateway forwards (or
  starts a trace when none came) and makes it the current OpenTelemetry
  context for the request; a consumer (``consumed``) does the same with the
  ``traceparent`` header of the event it handles;
- every JSON log line carries ``trace_id`` (``entraide_kit.logging``);
- calls to other services send it on (``Context.call_headers``), the outbox
  keeps it with each event (``traceparent()``) and the relay publishes it as
  the message's ``traceparent`` header, so a consumer's work joins the trace
  of the request that caused the event.

Spans only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set (``configure``): the
OpenTelemetry SDK exporting over OTLP/HTTP, with the FastAPI, asyncpg and
httpx instrumentations and a span per consumed event. Without it none of
those is imported: the context above is carried by non-recording spans.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("entraide.tracing")

_W3C = TraceContextTextMapPropagator()
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_random = random.SystemRandom()
_provider: Any = None


def endpoint() -> str | None:
    """The OTLP endpoint spans go to, or None (tracing's spans off)."""
    return (
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or None
    )


def exporting() -> bool:
    return _provider is not None


def configure(service: str) -> bool:
    """With an OTLP endpoint: the SDK's tracer provider (batched OTLP/HTTP
    export, ``service.name`` ``entraide-<service>`` unless ``OTEL_SERVICE_NAME``
    says otherwise) and the asyncpg and httpx instrumentations, once per
    process. False (and nothing imported) without an endpoint."""
    global _provider
    if endpoint() is None:
        return False
    if _provider is not None:
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or f"entraide-{service}"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    log.info("tracing: spans exported over OTLP as %s", name)
    return True


def instrument_app(app: Any) -> None:
    """The FastAPI instrumentation (a server span per request), when exporting;
    call it after the app's own middleware, so that its span is the outermost."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=_provider, excluded_urls="healthz,readyz,metrics"
    )


def flush(timeout_s: float) -> None:
    """Export what the batch processor still holds (a stopping service)."""
    if _provider is not None:
        _provider.force_flush(int(timeout_s * 1000))


def _local(parent: SpanContext | None) -> Any:
    """A context whose current span is this process's part of ``parent``'s trace
    (a new trace when there is none), not recorded: what logs, calls and events
    carry when no span is being exported."""
    trace_id = parent.trace_id if parent is not None else _random.getrandbits(128)
    flags = parent.trace_flags if parent is not None else _SAMPLED
    span = NonRecordingSpan(
        SpanContext(trace_id, _random.getrandbits(64), is_remote=False, trace_flags=flags)
    )
    return trace.set_span_in_context(span)


def _parent(carrier: Mapping[str, str]) -> SpanContext | None:
    found = trace.get_current_span(_W3C.extract(carrier)).get_span_context()
    return found if found.is_valid else None


def enter(traceparent: str | None) -> object | None:
    """Make the request's trace current; the token for ``leave``. None when a
    span is current already (the FastAPI instrumentation's, outside the edge)."""
    if trace.get_current_span().get_span_context().is_valid:
        return None
    parent = _parent({"traceparent": traceparent}) if traceparent else None
    return otel_context.attach(_local(parent))


def leave(token: object | None) -> None:
    if token is not None:
        otel_context.detach(token)  # type: ignore[arg-type]


@contextlib.contextmanager
def consumed(headers: Mapping[str, str] | None, subject: str) -> Iterator[None]:
    """Handle an event inside the trace of the request that caused it (its
    ``traceparent`` header): a consumer span when exporting, else the same
    non-recording context as a request's."""
    parent_ctx = _W3C.extract(dict(headers or {}))
    if _provider is not None:
        tracer = trace.get_tracer("entraide.events")
        with tracer.start_as_current_span(
            f"consume {subject.rsplit('.', 1)[0]}",
            context=parent_ctx,
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "nats", "messaging.destination.name": subject},
        ):
            yield
        return
    found = trace.get_current_span(parent_ctx).get_span_context()
    token = otel_context.attach(_local(found if found.is_valid else None))
    try:
        yield
    finally:
        otel_context.detach(token)


def traceparent() -> str | None:
    """The current context as a ``traceparent`` value (None outside a trace)."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier)
    return carrier.get("traceparent")


def ids() -> tuple[str, str] | None:
    """(trace id, span id) of the current span, as hex, or None."""
    found = trace.get_current_span().get_span_context()
    if not found.is_valid:
        return None
    return format(found.trace_id, "032x"), format(found.span_id, "016x")
