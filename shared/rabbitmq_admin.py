"""A small client of the RabbitMQ HTTP management API: what `vigil region` needs of a region
broker (exchanges, queues, bindings, dynamic shovels and their status) and the queue depths
of the operator's system view, nothing more."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx


class AdminError(RuntimeError):
    """The management API refused a request or could not be reached; the text says which."""


def vhost_of(amqp_url: str) -> str:
    """The vhost an AMQP URL names: its path, "/" when empty (RabbitMQ's default). Of
    several brokers (comma-separated) the first: config makes sure they all agree."""
    return unquote(urlsplit(amqp_url.split(",")[0].strip()).path[1:]) or "/"


def _q(name: str) -> str:
    return quote(name, safe="")


class RabbitAdmin:
    """The management API at `url` (http://user:password@host:15672), for one vhost."""

    def __init__(self, url: str, vhost: str = "/", timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AdminError("the management URL must look like http://user:password@host:15672")
        auth = (parts.username or "guest", parts.password or "guest")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/api", "", ""))
        self.vhost = vhost
        self.where = netloc  # for messages: never the credentials
        self._http = httpx.AsyncClient(base_url=base, auth=auth, timeout=timeout)

    async def __aenter__(self) -> RabbitAdmin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, body: Any = None, missing_ok: bool = False
    ) -> Any:
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise AdminError(f"management API at {self.where} unreachable: {exc}") from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise AdminError(
                f"{method} {path} on {self.where}: {response.status_code} {response.text[:300]}"
            )
        return response.json() if response.content else None

    async def overview(self) -> dict[str, Any]:
        body: dict[str, Any] = await self._call("GET", "/overview")
        return body

    async def declare_exchange(self, name: str, kind: str) -> None:
        await self._call(
            "PUT",
            f"/exchanges/{_q(self.vhost)}/{_q(name)}",
            {"type": kind, "durable": True, "auto_delete": False},
        )

    async def declare_queue(self, name: str, arguments: dict[str, Any]) -> None:
        await self._call(
            "PUT",
            f"/queues/{_q(self.vhost)}/{_q(name)}",
            {"durable": True, "auto_delete": False, "arguments": arguments},
        )

    async def bind(self, exchange: str, queue: str, key: str) -> None:
        await self._call(
            "POST",
            f"/bindings/{_q(self.vhost)}/e/{_q(exchange)}/q/{_q(queue)}",
            {"routing_key": key},
        )

    async def queue(self, name: str) -> dict[str, Any] | None:
        body: dict[str, Any] | None = await self._call(
            "GET", f"/queues/{_q(self.vhost)}/{_q(name)}", missing_ok=True
        )
        return body

    async def queues(self) -> list[dict[str, Any]]:
        """Every queue of the vhost: name, messages, consumers and the publish rate."""
        columns = "name,messages,consumers,message_stats.publish_details.rate"
        return await self._call("GET", f"/queues/{_q(self.vhost)}?columns={columns}") or []

    async def queue_details(self) -> list[dict[str, Any]]:
        """Every queue of the vhost with its type, flags, arguments and consumers."""
        columns = "name,type,durable,exclusive,auto_delete,arguments,consumers,messages"
        return await self._call("GET", f"/queues/{_q(self.vhost)}?columns={columns}") or []

    async def bindings(self, queue: str) -> list[dict[str, Any]]:
        """A queue's bindings from named exchanges (not the default exchange's)."""
        found = await self._call("GET", f"/queues/{_q(self.vhost)}/{_q(queue)}/bindings") or []
        return [b for b in found if b["source"]]

    async def unbind(self, binding: dict[str, Any]) -> None:
        await self._call(
            "DELETE",
            f"/bindings/{_q(self.vhost)}/e/{_q(binding['source'])}/q/"
            f"{_q(binding['destination'])}/{_q(binding['properties_key'])}",
            missing_ok=True,
        )

    async def delete_queue(self, name: str, if_empty: bool) -> None:
        suffix = "?if-empty=true" if if_empty else ""
        await self._call("DELETE", f"/queues/{_q(self.vhost)}/{_q(name)}{suffix}", missing_ok=True)

    async def set_shovel(self, name: str, definition: dict[str, Any]) -> None:
        await self._call(
            "PUT", f"/parameters/shovel/{_q(self.vhost)}/{_q(name)}", {"value": definition}
        )

    async def delete_shovel(self, name: str) -> None:
        await self._call(
            "DELETE", f"/parameters/shovel/{_q(self.vhost)}/{_q(name)}", missing_ok=True
        )

    async def shovel_states(self) -> dict[str, str]:
        """Each dynamic shovel of the vhost and its state: running, starting, terminated."""
        found = await self._call("GET", f"/shovels/{_q(self.vhost)}", missing_ok=True) or []
        return {s["name"]: s.get("state", "unknown") for s in found}
