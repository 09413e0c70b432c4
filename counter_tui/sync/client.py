"""``CentralClient``: the counter's HTTP client for the central service, with explicit timeouts.

Every failure is one of a few kinds the engine understands: the service is
unreachable or failing for now (retry the same request later), the token is
refused (stop and tell the operator), the cursor is too old (full resync),
or the request itself was refused (a bug or a clone: stop and show it).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

DEFAULT_TIMEOUT = httpx.Timeout(connect=3.0, read=20.0, write=20.0, pool=3.0)


class SyncError(Exception):
    pass


class Unreachable(SyncError):
    """Network down, timeout, a 5xx or a 429: transient, retry the same request later.

    ``kind`` is ``offline`` (no connection, or a connection cut), ``timeout``, ``server``
    (a 5xx) or ``busy`` (429); ``retry_after`` is the service's own Retry-After, if any.
    """

    def __init__(self, detail: str, kind: str = "offline", retry_after: float | None = None):
        super().__init__(detail)
        self.kind = kind
        self.retry_after = retry_after


class AuthRefused(SyncError):
    """401/403: the counter's token is unknown, revoked, expired or not allowed."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail

    @property
    def reason(self) -> str:
        d = self.detail.lower()
        for word in ("expired", "revoked", "unknown"):
            if word in d:
                return word
        return "forbidden" if self.status == 403 else "unknown"


class CertificateRefused(SyncError):
    """The service's TLS certificate is not trusted: never retried around, never ignored."""


class ResyncRequired(SyncError):
    """410: the cursor cannot be continued; pull everything again."""


class Refused(SyncError):
    """A 4xx the counter cannot fix by retrying."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class TooLarge(Refused):
    """413: the request body is over the service's limit (a batch, or one huge operation)."""


class UploadOffset(SyncError):
    """409 on a file chunk: the centre holds ``received`` bytes of this upload, not the
    offset the chunk was for (an earlier chunk's answer was lost, or the centre restarted)."""

    def __init__(self, received: int) -> None:
        super().__init__(f"the centre stands at {received}")
        self.received = received


@dataclass
class Timed:
    body: dict[str, Any]
    sent: float
    received: float

    @property
    def skew(self) -> float | None:
        """Server clock minus PC clock, estimated at the round trip's midpoint (seconds)."""
        server = self.body.get("server_time")
        if not isinstance(server, int | float):
            return None
        return float(server) - (self.sent + self.received) / 2


def _retry_after(resp: httpx.Response) -> float | None:
    """Retry-After in seconds (the HTTP-date form is not worth a parser here)."""
    value = resp.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def tls_context(ca_file: str = "") -> ssl.SSLContext:
    """The system's trusted roots, plus ``ca_file`` (a private CA or a self-signed
    certificate) only when the settings name one. Verification is never switched off."""
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    return ctx


class CentralClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        verify: bool | ssl.SSLContext = True,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "counter-tui"},
            timeout=timeout,
            transport=transport,
            verify=verify,
        )

    def close(self) -> None:
        self.http.close()

    def _request(self, method: str, url: str, **kw: Any) -> tuple[httpx.Response, float, float]:
        sent = time.time()
        try:
            resp = self.http.request(method, url, **kw)
        except httpx.ConnectError as exc:
            if _is_certificate_error(exc):
                raise CertificateRefused(str(exc)) from exc
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}", "timeout") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            if _is_certificate_error(exc):
                raise CertificateRefused(str(exc)) from exc
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        received = time.time()
        if resp.status_code >= 500 or resp.status_code == 429:
            raise Unreachable(
                f"HTTP {resp.status_code}",
                "busy" if resp.status_code == 429 else "server",
                _retry_after(resp),
            )
        if resp.status_code in (401, 403):
            try:
                detail = str(orjson.loads(resp.content).get("detail", ""))
            except (orjson.JSONDecodeError, AttributeError):
                detail = resp.text[:200]
            raise AuthRefused(resp.status_code, detail)
        if resp.status_code == 410:
            raise ResyncRequired(resp.text[:200])
        if resp.status_code == 413:
            raise TooLarge(413, resp.text[:500])
        return resp, sent, received

    def _json(self, resp: httpx.Response) -> dict[str, Any]:
        try:
            body = orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            # A proxy's error page, or a body cut short: treat as transient.
            raise Unreachable(f"unreadable response ({resp.status_code})") from exc
        if not isinstance(body, dict):
            raise Unreachable("unexpected response")
        return body

    def health(self, timeout: float | None = None) -> Timed:
        """The service's cheap, unauthenticated liveness answer (no database read)."""
        kw: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        resp, s, r = self._request("GET", "/v1/health", **kw)
        if resp.status_code != 200:
            raise Unreachable(f"health: HTTP {resp.status_code}")
        return Timed(self._json(resp), s, r)

    def audit_anchors(self) -> list[dict[str, Any]]:
        """The heads of this counter's audit chain the centre has kept, oldest first."""
        resp, _, _ = self._request("GET", "/v1/audit/anchors")
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return list(self._json(resp)["anchors"])

    def me(self) -> dict[str, Any]:
        resp, _, _ = self._request("GET", "/v1/me")
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return self._json(resp)

    def push(self, ops: list[dict[str, Any]], extra: Mapping[str, Any] | None = None) -> Timed:
        """Push a batch; a 409 (gap, reused number) comes back as a body with ``error``.

        ``extra`` adds top-level fields to the request (beside ``ops``)."""
        content = orjson.dumps({**(extra or {}), "ops": ops})
        resp, s, r = self._request(
            "POST", "/v1/sync/push", content=content, headers={"Content-Type": "application/json"}
        )
        if resp.status_code not in (200, 409):
            raise Refused(resp.status_code, resp.text[:500])
        return Timed(self._json(resp), s, r)

    def pull(self, cursor: str | None, limit: int = 500) -> Timed:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        resp, s, r = self._request("GET", "/v1/sync/pull", params=params)
        if resp.status_code in (400, 422) and cursor:
            # A cursor the service cannot read (damaged in the cache): start the feed over,
            # as for one from another epoch, rather than stop syncing for good.
            raise ResyncRequired(resp.text[:200])
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return Timed(self._json(resp), s, r)

    def catalog(self, etag: str | None) -> tuple[int, bytes | None, str | None]:
        headers = {"If-None-Match": etag} if etag else {}
        resp, _, _ = self._request("GET", "/v1/catalog", headers=headers)
        if resp.status_code == 304:
            return 304, None, etag
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return 200, resp.content, resp.headers.get("ETag")

    def dossier(self, code: str) -> dict[str, Any] | None:
        resp, _, _ = self._request("GET", f"/v1/dossiers/{code}")
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return self._json(resp)

    def citizen_dossiers(self, citizen_id: str) -> list[dict[str, Any]]:
        resp, _, _ = self._request("GET", f"/v1/citizens/{citizen_id}/dossiers")
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return list(self._json(resp).get("dossiers", []))

    def clerks(self) -> list[dict[str, Any]] | None:
        """The office's clerk accounts; ``None`` from a service too old to have them (the
        cached accounts are then kept, not wiped)."""
        resp, _, _ = self._request("GET", "/v1/clerks")
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return list(self._json(resp).get("clerks", []))

    def back_office(
        self,
        key: str,
        action: str,
        note: str = "",
        data: dict[str, Any] | None = None,
        actor: str = "",
    ) -> httpx.Response:
        """Play the back office (demos and tests); returns the raw response."""
        return self.http.post(
            f"/v1/backoffice/dossiers/{key}/actions",
            json={"action": action, "note": note, "data": data or {}, "actor": actor},
        )

    # --- files (issue 14): resumable uploads, see docs/sync-protocol.md "Files" -----------

    def file_upload_state(self, sha: str) -> dict[str, Any]:
        """``{"size", "received", "complete"}``: how much of this file the centre holds
        from this office."""
        resp, _, _ = self._request("GET", f"/v1/files/{sha}/upload")
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return self._json(resp)

    def upload_file_chunk(self, sha: str, offset: int, total: int, chunk: bytes) -> dict[str, Any]:
        """Send ``chunk`` at ``offset`` of a ``total``-byte file; ``{"received", "complete"}``.
        :class:`UploadOffset` when the centre stands elsewhere; a 422 (the bytes do not hash
        to ``sha``) is a :class:`Refused`, a 413 (over the centre's limit) a
        :class:`TooLarge`."""
        resp, _, _ = self._request(
            "PATCH",
            f"/v1/files/{sha}/upload",
            content=chunk,
            headers={
                "Upload-Offset": str(offset),
                "Upload-Length": str(total),
                "Content-Type": "application/octet-stream",
            },
        )
        if resp.status_code == 409:
            body = self._json(resp)
            if body.get("code") == "offset" and isinstance(body.get("received"), int):
                raise UploadOffset(int(body["received"]))
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return self._json(resp)

    def file(self, sha: str) -> bytes | None:
        """A file's bytes from the centre (``None``: this office holds no such file)."""
        resp, _, _ = self._request("GET", f"/v1/files/{sha}")
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise Refused(resp.status_code, resp.text[:500])
        return resp.content
