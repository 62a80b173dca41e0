"""The docs app merges the documents of real (tiny) HTTP upstreams."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from entraide_gateway.docs import create_app, upstreams_from_env
from entraide_gateway.merge import merge_openapi


def _doc(title: str, paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _op(op_id: str, schema: str) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "security": [{"HTTPBearer": []}],
        "responses": {
            "200": {
                "description": "ok",
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                },
            }
        },
    }


AUTH_DOC = _doc(
    "auth",
    {"/api/accounts/users/": {"get": _op("list_users", "User")}},
    {
        "User": {"type": "object", "properties": {"email": {"type": "string"}}},
        "ErrorDetail": {"type": "object", "properties": {"detail": {"type": "string"}}},
    },
)
CENTERS_DOC = _doc(
    "centers",
    {
        "/api/centers-app/centers/": {"get": _op("list_users", "User")},
        "/api/centers-app/rooms/": {"get": _op("list_rooms", "ErrorDetail")},
    },
    {
        # same name, other shape: must be renamed for centers only
        "User": {"type": "object", "properties": {"id": {"type": "integer"}}},
        # same name, same shape: shared
        "ErrorDetail": {"type": "object", "properties": {"detail": {"type": "string"}}},
    },
)


class _Server:
    def __init__(self, doc: dict[str, Any] | None, status: int = 200) -> None:
        body = json.dumps(doc).encode() if doc is not None else b"{}"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/openapi.json":
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def client() -> Iterator[TestClient]:
    auth, centers, broken = _Server(AUTH_DOC), _Server(CENTERS_DOC), _Server(None, status=500)
    upstreams = {
        "auth": auth.url,
        "centers": centers.url,
        "programs": broken.url,
        "students": "http://127.0.0.1:9",  # nothing listens there
    }
    try:
        with TestClient(create_app(upstreams, ttl=0)) as c:
            yield c
    finally:
        for s in (auth, centers, broken):
            s.close()


def test_merged_document(client: TestClient) -> None:
    resp = client.get("/swagger.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"] == {**doc["info"], "title": "Entraide National API", "version": "1.0"}
    assert set(doc["paths"]) == {
        "/api/accounts/users/",
        "/api/centers-app/centers/",
        "/api/centers-app/rooms/",
    }
    schemes = doc["components"]["securitySchemes"]
    assert schemes == {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    assert doc["security"] == [{"bearerAuth": []}]
    users = doc["paths"]["/api/accounts/users/"]["get"]
    assert users["security"] == [{"bearerAuth": []}]


def test_schema_collisions_are_prefixed(client: TestClient) -> None:
    doc = client.get("/swagger.json").json()
    schemas = doc["components"]["schemas"]
    assert schemas["User"]["properties"] == {"email": {"type": "string"}}
    assert schemas["CentersUser"]["properties"] == {"id": {"type": "integer"}}
    assert "CentersErrorDetail" not in schemas  # identical definitions are shared

    def ref(path: str) -> str:
        op = doc["paths"][path]["get"]
        return str(op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])

    assert ref("/api/accounts/users/") == "#/components/schemas/User"
    assert ref("/api/centers-app/centers/") == "#/components/schemas/CentersUser"
    assert ref("/api/centers-app/rooms/") == "#/components/schemas/ErrorDetail"
    # operation ids stay unique
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_yaml_is_the_same_document(client: TestClient) -> None:
    resp = client.get("/swagger.yaml")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(resp.text) == client.get("/swagger.json").json()


def test_ui_pages_and_assets(client: TestClient) -> None:
    page = client.get("/swagger/")
    assert page.status_code == 200
    assert "assets/swagger-ui-bundle.js" in page.text
    assert "//cdn" not in page.text
    init = client.get("/swagger/init.js")
    assert "persistAuthorization: true" in init.text
    assert "../swagger.json" in init.text
    assert client.get("/swagger/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/swagger/assets/swagger-ui.css").status_code == 200
    redoc = client.get("/redoc/")
    assert redoc.status_code == 200 and "assets/redoc.standalone.js" in redoc.text
    assert client.get("/redoc/assets/redoc.standalone.js").status_code == 200
    redirect = client.get("/swagger", follow_redirects=False)
    assert redirect.status_code in (301, 307, 308) and redirect.headers["location"] == "/swagger/"


def test_health(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_no_upstream_answers_gives_an_empty_document() -> None:
    with TestClient(create_app({"auth": "http://127.0.0.1:9"}, ttl=0)) as c:
        doc = c.get("/swagger.json").json()
    assert doc["paths"] == {}
    assert doc["info"]["title"] == "Entraide National API"


def test_upstreams_from_env() -> None:
    env = {
        "ENTRAIDE_CONTENT_URL": "http://127.0.0.1:8108",
        "ENTRAIDE_AUTH_URL": "http://127.0.0.1:8101/",
        "ENTRAIDE_EXAMS_URL": "http://x:1",
    }
    found = upstreams_from_env(env)
    assert found == {
        "auth": "http://127.0.0.1:8101",
        "exams": "http://x:1",
        "content": "http://127.0.0.1:8108",
    }
    assert list(found) == ["auth", "exams", "content"]  # the canonical order


def test_merge_keeps_explicitly_public_operations() -> None:
    doc = _doc("auth", {"/api/token/": {"post": {**_op("token", "User"), "security": []}}}, {})
    merged = merge_openapi([("auth", doc)])
    assert merged["paths"]["/api/token/"]["post"]["security"] == []


def test_a_schema_spelled_alike_but_pointing_at_a_renamed_one_is_renamed_too() -> None:
    # Both services have a page of "QuestionRead", spelled the same, but each
    # service's QuestionRead is its own: the second page must point at the second.
    def page(ref: str) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"results": {"type": "array", "items": {"$ref": ref}}},
        }

    ref = "#/components/schemas/QuestionRead"
    exams = _doc(
        "exams",
        {"/api/exams/questions/": {"get": _op("exam_questions", "Page_QuestionRead_")}},
        {"QuestionRead": {"properties": {"type": {}}}, "Page_QuestionRead_": page(ref)},
    )
    content = _doc(
        "content",
        {"/api/courses/questions/": {"get": _op("content_questions", "Page_QuestionRead_")}},
        {"QuestionRead": {"properties": {"practice": {}}}, "Page_QuestionRead_": page(ref)},
    )
    merged = merge_openapi([("exams", exams), ("content", content)])
    schemas = merged["components"]["schemas"]

    def response(path: str) -> str:
        op = merged["paths"][path]["get"]
        return str(op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])

    assert response("/api/exams/questions/").endswith("/Page_QuestionRead_")
    assert response("/api/courses/questions/").endswith("/ContentPage_QuestionRead_")
    items = schemas["ContentPage_QuestionRead_"]["properties"]["results"]["items"]["$ref"]
    assert items == "#/components/schemas/ContentQuestionRead"
    assert "practice" in schemas["ContentQuestionRead"]["properties"]
    assert "type" in schemas["QuestionRead"]["properties"]
