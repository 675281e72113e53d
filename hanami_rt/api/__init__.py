"""REST routes, one module per resource, each exposing `ENDPOINTS` (a list of `Endpoint`).

`hanami_rt.app.ENDPOINTS` joins them; routing, policy checks, validation and the OpenAPI
document are all derived from that one list.
"""
