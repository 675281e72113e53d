"""REST routes, one module per resource; `ENDPOINTS` lists them all in their docs order.

Each resource module exposes `ENDPOINTS` (a list of `endpoint.Endpoint`); routing, policy
checks, validation and the OpenAPI document are all derived from those lists.
"""
