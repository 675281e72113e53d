"""The OpenAPI 3.1 document, generated from the Endpoint list, and /docs, a page rendering it.

The page is self-contained (inline script, no CDN): it fetches /openapi.json and lists every
operation with its parameters, body schema and responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import HTMLResponse, JSONResponse, Response

import hanami_rt
from hanami_rt.api.endpoint import Call, Endpoint
from hanami_rt.api.schema import query_parameters, schema_of
from hanami_rt.auth import Policy
from hanami_rt.errors import ERROR_TABLE, INTERNAL

_ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error reply: what was wrong and what to do about it.",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "enum": sorted({k.code for k in ERROR_TABLE.values()} | {INTERNAL.code}),
                },
                "message": {"type": "string"},
                "error_id": {"type": "string", "description": "only for code internal"},
            },
        }
    },
}
_REASONS = {
    400: "Malformed or invalid request",
    401: "Missing, expired or invalid token",
    403: "The caller's role may not do this",
    404: "No such resource (or not visible to the caller)",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Body too large",
    429: "Too many attempts",
    500: "Unexpected error (with an error id)",
    503: "Not ready",
}


def _ref(cls: type) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{cls.__name__}"}


def _operation(endpoint: Endpoint, policy: Policy, schemas: dict[str, Any]) -> dict[str, Any]:
    roles = sorted(policy.roles(endpoint.path, endpoint.method))
    public = policy.is_public(endpoint.path, endpoint.method)
    op: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": f"Allowed roles: {', '.join(roles) or 'nobody (not in the policy)'}.",
        "tags": [endpoint.tag],
        "security": [] if public else [{"bearer": []}],
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_names(endpoint.path)
    ]
    if endpoint.query is not None:
        parameters += query_parameters(endpoint.query)
    if parameters:
        op["parameters"] = parameters
    if endpoint.body is not None:
        schemas[endpoint.body.__name__] = schema_of(endpoint.body, schemas)
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(endpoint.body)}},
        }
    if endpoint.stream:
        binary = {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
        op["requestBody"] = {"required": True, "content": {"application/octet-stream": binary}}
    ok: dict[str, Any] = {"description": "Success"}
    if endpoint.response is not None:
        schemas[endpoint.response.__name__] = schema_of(endpoint.response, schemas)
        ok["content"] = {endpoint.content_type: {"schema": _ref(endpoint.response)}}
    elif endpoint.status != 204:
        ok["content"] = {endpoint.content_type: {"schema": {}}}
    codes = set(endpoint.errors) | {500}
    if endpoint.body is not None or endpoint.stream:
        codes |= {400, 413}
    if endpoint.query is not None:
        codes.add(400)
    if not public:
        codes |= {401, 403}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    op["responses"] = {str(endpoint.status): ok} | {
        str(code): {"description": _REASONS[code], "content": error} for code in sorted(codes)
    }
    return op


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def openapi_document(endpoints: Sequence[Endpoint], policy: Policy) -> dict[str, Any]:
    """The OpenAPI 3.1 description of `endpoints`, with roles taken from `policy`."""
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, policy, schemas
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hanami-rt",
            "version": hanami_rt.__version__,
            "description": "REST control plane of hanami-rt; realtime traffic uses /v1/ws.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


async def openapi_json(call: Call) -> Response:
    """The OpenAPI document of this server."""
    endpoints = call.request.app.state.endpoints
    return JSONResponse(openapi_document(endpoints, call.runtime.policy))


async def docs_page(call: Call) -> Response:
    """A self-contained HTML page that renders /openapi.json."""
    return HTMLResponse(_PAGE)


ENDPOINTS = [
    Endpoint("GET", "/openapi.json", openapi_json, "This API as OpenAPI 3.1", "docs"),
    Endpoint(
        "GET",
        "/docs",
        docs_page,
        "Human-readable API documentation",
        "docs",
        content_type="text/html",
    ),
]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hanami-rt API</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
.op{border:1px solid #ccc;border-radius:6px;margin:.6rem 0;padding:.4rem .8rem}
.m{font-weight:bold;display:inline-block;width:4.5rem}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.85rem}
summary{cursor:pointer}
</style></head>
<body><h1>hanami-rt API</h1><p id="info">Loading /openapi.json&hellip;</p><div id="ops"></div>
<script>
fetch("/openapi.json").then(r => r.json()).then(doc => {
  document.getElementById("info").textContent = doc.info.description + " (version " +
    doc.info.version + ")";
  const ops = document.getElementById("ops");
  const show = v => JSON.stringify(v, null, 2);
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const d = document.createElement("details");
      d.className = "op";
      const s = document.createElement("summary");
      s.innerHTML = "<span class='m'></span><code></code> &mdash; <span></span>";
      s.children[0].textContent = method.toUpperCase();
      s.children[1].textContent = path;
      s.children[2].textContent = op.summary;
      d.appendChild(s);
      const body = document.createElement("pre");
      body.textContent = show({description: op.description, parameters: op.parameters,
        requestBody: op.requestBody, responses: Object.keys(op.responses)});
      d.appendChild(body);
      ops.appendChild(d);
    }
  }
  const schemas = document.createElement("details");
  schemas.innerHTML = "<summary>Schemas</summary><pre></pre>";
  schemas.querySelector("pre").textContent = show(doc.components.schemas);
  ops.appendChild(schemas);
});
</script></body></html>
"""
