"""The `Allow` header of a 405: every method the path takes, not only its first route's.

Starlette answers a method a path does not take with the methods of the first route whose
path matched; our routes are one per method, so `/monitors` said `Allow: GET` although it
takes POST too. This middleware puts the union of the methods of every route of the path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Routes = Callable[[], Iterable[tuple[re.Pattern[str], set[str]]]]


class AllowMiddleware:
    def __init__(self, app: ASGIApp, routes: Routes) -> None:
        self.app = app
        self._routes = routes  # (path regex, methods) of every route; read on first use
        self._table: list[tuple[re.Pattern[str], set[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = self.methods(scope["path"])
                if methods:
                    MutableHeaders(scope=message)["allow"] = ", ".join(methods)
            await send(message)

        await self.app(scope, receive, send_allow)

    def methods(self, path: str) -> list[str]:
        if self._table is None:
            self._table = list(self._routes())
        found = {m for regex, methods in self._table if regex.match(path) for m in methods}
        return sorted(found - {"HEAD"})  # HEAD goes with GET; the document lists GET
