"""The service layer: live networks per project, per-cluster locks, worker threads, persistence.

Transports (REST, websocket, dataset tasks) run network work only through `registry.Registry`.
Import the submodules directly: `lock`, `workers`, `registry`, `persistence`, `clusters`,
`bootstrap`.
"""
