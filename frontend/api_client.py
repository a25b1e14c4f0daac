"""The one place the frontend talks HTTP to the Vigil REST API."""

from __future__ import annotations

from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

API_TIMEOUT_S = 5.0
MONITORS_PAGE = 50  # a dashboard page; the next follows the API's cursor


class ApiError(Exception):
    """The API gave no usable answer; the user sees a friendly 502 page."""


class ApiUnavailable(ApiError):
    """The API could not be reached, timed out, or failed on its side (5xx)."""


class BadResponse(ApiError):
    """The API answered something that does not follow its contract."""


class Unauthorized(ApiError):
    """The API refused the credentials or the token (401); `detail` says which check
    failed when the API names one (a single sign-on refusal)."""

    def __init__(self, where: str, detail: str = "", visibility: str = "") -> None:
        super().__init__(where)
        self.detail = detail
        self.visibility = visibility  # a private status page's: what opens it


class NotFound(ApiError):
    """No such thing for this account (404); also an endpoint this API does not have yet."""


class Refused(ApiError):
    """The API understood and said no (403, 409): the text is the API's `detail`."""

    def __init__(self, where: str, detail: str, status: int = 409) -> None:
        super().__init__(where)
        self.detail = detail
        self.status = status  # 403: the role does not allow it; 409: the state does not


class Limited(ApiError):
    """A 429: asked too often; `retry_after` in seconds, when the API said."""

    def __init__(self, where: str, retry_after: int | None = None) -> None:
        super().__init__(where)
        self.retry_after = retry_after


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
        body = self._call(
            "POST", "/api/v1/auth/login", base_url, json={"email": email, "password": password}
        )
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise BadResponse("login answer has no access_token")
        return token

    def monitors(
        self, token: str, base_url: str | None = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The caller's monitors as the API sends them: {"items", "next", "counts"}."""
        body, _ = self.monitor_list(token, base_url, params or {})
        assert body is not None  # no ETag sent, so never a 304
        return body

    def monitor_list(
        self, token: str, base_url: str | None, params: dict[str, str], etag: str | None = None
    ) -> tuple[dict[str, Any] | None, str | None]:
        """One page of the monitor list and its ETag; (None, etag) when `etag` still holds."""
        headers = {"Authorization": f"Bearer {token}"}
        if etag:
            headers["If-None-Match"] = etag
        path = "/api/v1/monitors"
        url = f"{base_url}{path}" if base_url else path
        try:
            response = self._http.get(
                url, params={"limit": MONITORS_PAGE, **params}, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"GET {path}: {exc!r}") from exc
        if response.status_code == 304:
            return None, response.headers.get("etag")
        try:
            return _decode("GET", path, response), response.headers.get("etag")
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
        headers = {
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **kwargs.pop("headers", {}),
        }
        return self._call(method, f"/api/v1{path}", base_url, headers=headers, **kwargs)

    def revalidate(
        self, path: str, etag: str | None, headers: dict[str, str]
    ) -> tuple[dict[str, Any] | None, str | None]:
        """GET under /api/v1 without a token, following redirects, asking with If-None-Match
        when an ETag is known: (None, etag) if the API answers 304 (the copy still holds),
        else the body and its ETag; a 401, 404 or failure raises as `send` does."""
        sent = {**headers, **({"If-None-Match": etag} if etag else {})}
        try:
            response = self._http.get(f"/api/v1{path}", headers=sent, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"GET {path}: {exc!r}") from exc
        if response.status_code == 304 and etag:
            return None, response.headers.get("etag") or etag
        return _decode("GET", path, response), response.headers.get("etag")

    def download(
        self, path: str, token: str | None, base_url: str | None = None
    ) -> tuple[bytes, str]:
        """A file the API serves (an export): its bytes and content type."""
        url = f"{base_url}/api/v1{path}" if base_url else f"/api/v1{path}"
        try:
            response = self._http.get(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise ApiUnavailable(f"GET {path}: {exc!r}") from exc
        if response.status_code != 200:
            _decode("GET", path, response)  # raises what the status means
            raise BadResponse(f"GET {path} -> {response.status_code}: unexpected status")
        return response.content, response.headers.get("content-type", "text/plain")

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
        raise Unauthorized(where, _detail_text(response), _field_text(response, "visibility"))
    if response.status_code >= 500:
        raise ApiUnavailable(where)
    if response.status_code == 204:
        return {}
    if response.status_code == 404:
        raise NotFound(where)
    _refused(where, response)
    if response.status_code not in (200, 201, 202):  # 202: queued, e.g. a test notification
        raise BadResponse(f"{where}: unexpected status")
    try:
        body = response.json()
    except ValueError:
        raise BadResponse(f"{where}: body is not JSON") from None
    if not isinstance(body, dict):
        raise BadResponse(f"{where}: body is not a JSON object")
    return body


def _refused(where: str, response: httpx.Response) -> None:
    """Raise what a 4xx that the caller can act on means."""
    if response.status_code in (400, 403, 409):
        raise Refused(where, _detail_text(response), response.status_code)
    if response.status_code == 429:
        wait = response.headers.get("Retry-After", "")
        raise Limited(where, int(wait) if wait.isdigit() else None)
    if response.status_code == 422:
        raise Invalid(where, _detail_list(response), _detail_text(response))


def _detail_text(response: httpx.Response) -> str:
    return _field_text(response, "detail")


def _field_text(response: httpx.Response, name: str) -> str:
    try:
        value = response.json().get(name)
    except (ValueError, AttributeError):
        value = None
    return value if isinstance(value, str) else ""


def _detail_list(response: httpx.Response) -> list[dict[str, Any]]:
    """FastAPI's 422 errors, keeping only well-formed ones (a loc list and a msg string)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if not isinstance(detail, list):
        return []
    return [
        e
        for e in detail
        if isinstance(e, dict) and isinstance(e.get("loc"), list) and isinstance(e.get("msg"), str)
    ]
