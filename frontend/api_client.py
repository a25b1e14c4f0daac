"""The one place the frontend talks HTTP to the Vigil REST API."""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

API_TIMEOUT_S = 5.0
MONITORS_PAGE = 200


class ApiError(Exception):
    """The API gave no usable answer; the user sees a friendly 502 page."""


class ApiUnavailable(ApiError):
    """The API could not be reached, timed out, or failed on its side (5xx)."""


class BadResponse(ApiError):
    """The API answered something that does not follow its contract."""


class Unauthorized(ApiError):
    """The API refused the credentials or the token (401)."""


class NotFound(ApiError):
    """No such thing for this account (404); also an endpoint this API does not have yet."""


class Refused(ApiError):
    """The API understood and said no (403, 409): the text is the API's `detail`."""

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(where)
        self.detail = detail


class Invalid(ApiError):
    """A 422: the API's `detail` list, each with the `loc` of the field it is about; or its
    `detail` text when the refusal is about no one field."""

    def __init__(self, where: str, errors: list[dict[str, Any]], detail: str = "") -> None:
        super().__init__(where)
        self.errors = errors
        self.detail = detail


class ApiClient:
    """A thin, thread-safe client for the endpoints the frontend uses."""

    def __init__(
        self,
        base_url: str,
        timeout_s: float = API_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # The client is shared by every user of this process, so it must never keep a
        # cookie the API might set: one user's cookie would ride along with another's calls.
        no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout_s,
            transport=transport,
            cookies=no_cookies,
            headers={"Accept": "application/json", "User-Agent": "vigil-frontend"},
        )

    def close(self) -> None:
        self._http.close()

    def locate(self, email: str) -> str:
        """The API URL of the cell that holds this email's account, as the directory says.

        Any cell's API answers it; with a single cell, it names itself.
        """
        body = self._call("POST", "/api/v1/auth/locate", json={"email": email})
        url = body.get("api_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BadResponse("locate answer has no api_url")
        return url.rstrip("/")

    def login(self, email: str, password: str, base_url: str | None = None) -> str:
        """Exchange credentials for a bearer token; Unauthorized if they are wrong."""
        body = self._call("POST", "/api/v1/auth/login", base_url,
                          json={"email": email, "password": password})
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise BadResponse("login answer has no access_token")
        return token

    def monitors(self, token: str, base_url: str | None = None) -> dict[str, Any]:
        """The caller's monitors as the API sends them: {"items": [...], "next": ...}."""
        try:
            return self._call(
                "GET",
                "/api/v1/monitors",
                base_url,
                params={"limit": MONITORS_PAGE},
                headers={"Authorization": f"Bearer {token}"},
            )
        except NotFound:
            raise BadResponse("GET /api/v1/monitors -> 404: the API has no monitor list") from None

    def send(
        self,
        method: str,
        path: str,
        token: str | None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Any call under /api/v1 with the user's token; {} for a 204 No Content."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self._call(method, f"/api/v1{path}", base_url, headers=headers, **kwargs)

    def _call(
        self, method: str, path: str, base_url: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # base_url: the user's cell; by default, the API this frontend is configured with.
        url = f"{base_url}{path}" if base_url else path
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"{method} {path}: {exc!r}") from exc
        return _decode(method, path, response)


def _decode(method: str, path: str, response: httpx.Response) -> dict[str, Any]:
    where = f"{method} {path} -> {response.status_code}"
    # FastAPI answers 422 to a malformed email; for the user that is a failed log-in too.
    malformed_email = path.endswith(("/login", "/locate")) and response.status_code == 422
    if response.status_code == 401 or malformed_email:
        raise Unauthorized(where)
    if response.status_code >= 500:
        raise ApiUnavailable(where)
    if response.status_code == 204:
        return {}
    if response.status_code == 404:
        raise NotFound(where)
    if response.status_code in (403, 409):
        raise Refused(where, _detail_text(response))
    if response.status_code == 422:
        raise Invalid(where, _detail_list(response), _detail_text(response))
    if response.status_code not in (200, 201, 202):  # 202: queued, e.g. a test notification
        raise BadResponse(f"{where}: unexpected status")
    try:
        body = response.json()
    except ValueError:
        raise BadResponse(f"{where}: body is not JSON") from None
    if not isinstance(body, dict):
        raise BadResponse(f"{where}: body is not a JSON object")
    return body


def _detail_text(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return detail if isinstance(detail, str) else ""


def _detail_list(response: httpx.Response) -> list[dict[str, Any]]:
    """FastAPI's 422 errors, keeping only well-formed ones (a loc list and a msg string)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, list):
        return []
    return [
        e for e in detail
        if isinstance(e, dict) and isinstance(e.get("loc"), list) and isinstance(e.get("msg"), str)
    ]
