"""Prometheus metrics, served on each service's own port at ``/metrics`` (not routed publicly)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

REQUESTS = Counter(
    "entraide_http_requests_total",
    "HTTP requests answered",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "entraide_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ANSWER_CACHE = Counter(
    "entraide_answer_cache_total",
    "Reads of @cacheable endpoints: served from the answer cache (hit) or built (miss)",
    ["service", "result"],
)


_CHILDREN: dict[tuple[str, str, str, int], tuple[Any, Any]] = {}


def observe(service: str, method: str, route: str, status: int, seconds: float) -> None:
    # The labelled children, looked up once per label set (``labels()`` takes a
    # lock and builds a key on every call); the label sets are the routes.
    key = (service, method, route, status)
    children = _CHILDREN.get(key)
    if children is None:
        children = (
            REQUESTS.labels(service, method, route, str(status)),
            LATENCY.labels(service, method, route),
        )
        _CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
