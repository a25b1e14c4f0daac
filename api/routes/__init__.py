"""One module per resource; each exposes `router`, included by `api.app`.

Each router carries the full /api/v1 prefix itself rather than receiving it from
include_router: the matched route's own path is then the whole template, which is what
the metrics label requests with.
"""

PREFIX = "/api/v1"
