"""The FastAPI application of the central service (OpenAPI at /openapi.json, docs at /docs).

No ``from __future__ import annotations`` here: FastAPI must resolve the
annotations of the dependency closures defined inside :func:`create_app`.
"""

import logging
import os
import re
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from counter_tui.central.db import AuthFailed, CentralDB, Client
from counter_tui.central.files_api import DEFAULT_MAX_MB, add_file_routes
from counter_tui.central.filestore import DiskFileStore, Uploads, files_folder
from counter_tui.central.service import ActionRefused, CentralService
from counter_tui.config_files import catalog_path, holidays_path
from counter_tui.domain.calendar import load_calendar
from counter_tui.domain.catalog import load_catalog

log = logging.getLogger("counter_tui.central")
MAX_BODY = 4 * 1024 * 1024
MAX_BATCH = 500
DB_ENV = "COUNTER_TUI_CENTRAL_DB"  # how ``serve --workers N`` tells each worker its database
FILES_ENV = "COUNTER_TUI_CENTRAL_FILES"  # ... its folder for files
FILES_MAX_ENV = "COUNTER_TUI_CENTRAL_FILES_MAX_MB"  # ... and the size limit of one file
CURSOR_VERSION = re.compile(r"[0-9]{1,18}")
# Every integer the API stores lands in a 64-bit signed column: a larger one is a 422, never
# an overflow inside the database.
BIGINT_MAX = 2**63 - 1


class BodyLimit:
    """Refuse request bodies over ``MAX_BODY`` (413) before anything reads them whole."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send)
                return
        # The body is read here, up to the limit, before the app sees it: a chunked body has
        # no length to check up front, and an error raised inside the app's own read would
        # come out as FastAPI's 400 "error parsing the body" instead of 413.
        chunks: list[bytes] = []
        seen = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                return  # the client went away
            chunk = msg.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class NoNulInUrl:
    """Refuse (400) a path or query holding the NUL character (``%00``) before any route
    hands it to the database: PostgreSQL text cannot hold it (a 500), and no dossier code,
    key or cursor ever contains it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")
        ):
            await _refuse(send, 400, "NUL character in the URL", "url.nul")
            return
        await self.app(scope, receive, send)


async def _too_large(send: Send) -> None:
    await _refuse(send, 413, "Request body too large", "body.too_large")


async def _refuse(send: Send, status: int, detail: str, code: str) -> None:
    body = orjson.dumps({"detail": detail, "code": code})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StorableRequest(Strict):
    """A whole request body, refused (422) unless all of it can be written as JSON and text.

    Python's JSON parser accepts what neither the database nor orjson can hold: lone UTF-16
    surrogates in any string, integers past 64 bits inside free-form ``doc``/``data``, and
    the NUL character, which PostgreSQL text and jsonb refuse (SQLite takes it; both engines
    refuse it here, so a counter's push does not work on one and fail on the other).
    Checking the body once here turns each of those into a clear error instead of a 500.
    """

    _dumped: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _storable(self) -> "StorableRequest":
        dumped = _fields_of(self)
        try:
            blob = orjson.dumps(dumped)
        except orjson.JSONEncodeError as e:
            raise ValueError(f"value cannot be stored: {e}") from None
        # orjson writes NUL as the escape below; the walk rules out a literal backslash-u0000.
        if b"\\u0000" in blob and _holds_nul(dumped):
            raise ValueError("value cannot be stored: text holds the NUL character")
        self._dumped = dumped  # kept: dumping a push's documents again costs as much again
        return self

    def dumped(self) -> dict[str, Any]:
        """The request as plain values, as checked above."""
        return self._dumped


def _fields_of(value: Any) -> Any:
    """``model_dump()`` for these requests, without copying the free-form ``doc``/``data``
    dicts: a model becomes a dict of its fields, a list of models a list of dicts; any other
    value is the validated value itself. model_dump walked and copied every pushed document
    (8 % of the centre's time in a push, see docs/benchmarks.md); the request model is
    dropped once the route has its values, so nothing else holds the documents."""
    if isinstance(value, BaseModel):
        return {name: _fields_of(getattr(value, name)) for name in type(value).model_fields}
    if type(value) is list:
        return [_fields_of(v) for v in value]
    return value


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class PushOp(Strict):
    seq: int = Field(ge=1, le=BIGINT_MAX)
    op_id: str = Field(min_length=1, max_length=64)
    type: Literal["dossier.receive", "dossier.action"]
    uid: str = Field(min_length=1, max_length=64)
    at: str = Field(max_length=40)
    actor: str = Field(default="", max_length=100)
    counter: str = Field(default="", max_length=100)
    doc: dict[str, Any] | None = None
    action: str | None = Field(default=None, max_length=40)
    note: str = Field(default="", max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)
    base_version: int = Field(default=0, ge=0, le=BIGINT_MAX)
    state: str | None = Field(default=None, max_length=20)  # the counter's own bookkeeping


class AuditHead(Strict):
    """The counter's own audit chain as it stands: entries and the last entry's hash."""

    seq: int = Field(ge=0, le=BIGINT_MAX)
    head: str = Field(default="", max_length=64, pattern=r"^[0-9a-f]*$")


class PushRequest(StorableRequest):
    ops: list[PushOp] = Field(max_length=MAX_BATCH)
    audit: AuditHead | None = None


class BackOfficeRequest(StorableRequest):
    action: str = Field(max_length=40)
    note: str = Field(default="", max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)
    actor: str = Field(default="", max_length=100)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    """A 422 naming where and what is wrong, without echoing the input back.

    FastAPI's own handler echoes each bad value, which fails to encode (a 500) when the value
    is a lone surrogate, and would copy citizen IDs or phones into a proxy's error logs.
    """
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [
        {
            "loc": [_printable(part) for part in e.get("loc", ())],
            "msg": _printable(e.get("msg", "")),
            "type": _printable(e.get("type", "")),
        }
        for e in errors
    ]
    return Response(orjson.dumps({"detail": detail}), 422, media_type="application/json")


def _printable(value: object) -> str | int:
    if isinstance(value, int):
        return value
    return str(value).encode("utf-8", "replace").decode("utf-8")


def app_from_env() -> FastAPI:
    """The app of one worker of ``central serve --workers N`` (uvicorn imports it by name in
    each worker process; the parent has already migrated the database)."""
    from counter_tui import logs

    logs.install_masking()
    return create_app(
        os.environ[DB_ENV],
        migrate=False,
        files_dir=os.environ.get(FILES_ENV) or None,
        files_max_mb=float(os.environ.get(FILES_MAX_ENV) or DEFAULT_MAX_MB),
    )


def create_app(
    db_path: str | Path,
    catalog_file: str | Path | None = None,
    *,
    migrate: bool = True,
    files_dir: str | Path | None = None,
    files_max_mb: float = DEFAULT_MAX_MB,
) -> FastAPI:
    """The service over ``db_path`` (a SQLite file or a postgresql:// URL), keeping scanned
    files in ``files_dir`` (see :func:`filestore.files_folder` for the default)."""
    folder = files_folder(db_path, files_dir)
    db = CentralDB(db_path, migrate=migrate)
    catalog_file = Path(catalog_file or catalog_path())
    body = catalog_file.read_bytes()
    catalog = load_catalog(catalog_file)
    db.catalog.set(body)
    service = CentralService(db, catalog, load_calendar(holidays_path()))
    app = FastAPI(title="counter-tui central service", version="1")
    app.state.db = db
    epoch = db.epoch  # fixed for the life of the database
    app.state.service = service
    app.add_middleware(BodyLimit)
    app.add_middleware(NoNulInUrl)
    app.add_exception_handler(RequestValidationError, _validation_error)
    bearer = HTTPBearer(auto_error=False)

    # Reads are async: each is one indexed query (well under a millisecond), cheaper
    # inline than a hop to the thread pool. Writes (push, back office) stay in threads.
    def refused(request: Request, exc: AuthFailed) -> HTTPException:
        peer = request.client.host if request.client else "?"
        log.warning("token refused (%s) from %s", exc.reason, peer)
        # Say which (the operator needs to know whether to rotate or re-register);
        # never echo the token.
        detail = {
            "unknown": "Unknown token",
            "revoked": "Token revoked",
            "expired": "Token expired",
        }[exc.reason]
        return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})

    def token_of(creds: HTTPAuthorizationCredentials | None) -> str:
        if creds is None or not creds.credentials:
            raise HTTPException(401, "Missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        return creds.credentials

    async def client(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Client:
        try:
            return db.clients.authenticate(token_of(creds))
        except AuthFailed as exc:
            raise refused(request, exc) from None

    async def counter(c: Annotated[Client, Depends(client)]) -> Client:
        if c.role != "counter":
            raise HTTPException(403, "A counter token is required")
        return c

    async def back_office(c: Annotated[Client, Depends(client)]) -> Client:
        if c.role != "backoffice":
            raise HTTPException(403, "A back-office token is required")
        return c

    def raw_json(payload: bytes, status: int = 200) -> Response:
        return Response(payload, status_code=status, media_type="application/json")

    @app.get("/v1/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "server_time": time.time(), "epoch": epoch}

    @app.get("/v1/me")
    async def me(c: Annotated[Client, Depends(client)]) -> dict[str, Any]:
        office = db.offices.get(c.office) or {}
        return {
            "office": c.office,
            "office_name": office.get("name", ""),
            "name": c.name,
            "role": c.role,
            "slot": c.slot,
            "server_time": time.time(),
        }

    @app.post("/v1/sync/push")
    def push(req: PushRequest, c: Annotated[Client, Depends(counter)]) -> Response:
        seqs = [op.seq for op in req.ops]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            raise HTTPException(422, "Operations must be in increasing seq order")
        head = (req.audit.seq, req.audit.head) if req.audit is not None else None
        out = service.push(c, req.dumped()["ops"], head)
        log.info(
            "push from %s/%s: %d ops, last_seq %d", c.office, c.name, len(req.ops), out.last_seq
        )
        payload = {"results": out.results, "last_seq": out.last_seq, "server_time": time.time()}
        if out.error:
            payload["error"] = out.error
            return raw_json(orjson.dumps(payload), 409)
        return raw_json(orjson.dumps(payload))

    @app.get("/v1/sync/pull")
    async def pull(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        cursor: Annotated[str, Query(max_length=64)] = "",
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
    ) -> Response:
        # The token and the page are read in one statement (db.feed.poll); a cursor refused
        # below is still answered only to a counter's valid token, as before.
        token = token_of(creds)
        since, problem = 0, None
        if cursor:
            ep, _, ver = cursor.partition(":")
            # ASCII digits only (str.isdigit() also takes "²"), and a version that fits the
            # database's 64-bit integer: anything else is the caller's mistake, not a crash.
            if not CURSOR_VERSION.fullmatch(ver):
                problem = raw_json(
                    orjson.dumps({"detail": "Malformed cursor", "code": "cursor.malformed"}), 400
                )
            elif ep != epoch:
                problem = raw_json(
                    orjson.dumps({"detail": "Cursor from another epoch: resync", "code": "resync"}),
                    410,
                )
            else:
                since = int(ver)
        try:
            if problem is not None:
                await counter(db.clients.authenticate(token))
                return problem
            c, rows = db.feed.poll(token, since, limit + 1)
        except AuthFailed as exc:
            raise refused(request, exc) from None
        await counter(c)
        has_more = len(rows) > limit
        rows = rows[:limit]
        last_version = rows[-1][1] if rows else since
        last_seq = c.last_seq  # read with the token, in this same request
        parts = [
            b'{"uid":' + orjson.dumps(uid) + b',"version":%d,"doc":' % ver + bytes(doc) + b"}"
            for uid, ver, doc in rows
        ]
        head = orjson.dumps(
            {
                "cursor": f"{epoch}:{last_version}",
                "has_more": has_more,
                "last_seq": last_seq,
                "server_time": time.time(),
            }
        )
        return raw_json(head[:-1] + b',"changes":[' + b",".join(parts) + b"]}")

    @app.get("/v1/catalog")
    async def catalog_(
        c: Annotated[Client, Depends(client)],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """The procedures and, under ``"holidays"``, the centre's table of holiday decisions;
        the ETag changes when either does."""
        etag = db.catalog.served_tag()
        if etag is None:
            raise HTTPException(404, "No catalog")
        quoted = f'"{etag}"'
        if if_none_match and if_none_match.strip() in (quoted, etag):
            return Response(status_code=304, headers={"ETag": quoted})
        found = db.catalog.served()
        if found is None:
            raise HTTPException(404, "No catalog")
        etag, blob = found
        return Response(blob, media_type="application/json", headers={"ETag": f'"{etag}"'})

    @app.get("/v1/citizens/{citizen_id}/dossiers")
    async def citizen_dossiers(citizen_id: str, c: Annotated[Client, Depends(client)]) -> Response:
        if not (citizen_id.isdigit() and len(citizen_id) in (9, 12)):
            raise HTTPException(422, "A citizen ID has 12 digits (or 9 for an old CMND)")
        found = db.dossiers.of_citizen(c.office, citizen_id)
        # The ID is masked by the log setup; the operator sees which counter asked.
        log.info("citizen lookup %s by %s/%s: %d found", citizen_id, c.office, c.name, len(found))
        return raw_json(orjson.dumps({"dossiers": [{"version": v, "doc": d} for d, v in found]}))

    @app.get("/v1/dossiers/{code}")
    async def dossier(code: str, c: Annotated[Client, Depends(client)]) -> Response:
        found = db.dossiers.by_code(c.office, code) or db.dossiers.by_uid(c.office, code)
        if found is None:
            raise HTTPException(404, "No such dossier in this office")
        return raw_json(orjson.dumps({"version": found[1], "doc": found[0]}))

    @app.post("/v1/backoffice/dossiers/{key}/actions")
    def back_office_action(
        key: str, req: BackOfficeRequest, c: Annotated[Client, Depends(back_office)]
    ) -> Response:
        try:
            doc, version = service.back_office(c, key, req.action, req.note, req.data, req.actor)
        except ActionRefused as exc:
            return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status)
        return raw_json(orjson.dumps({"version": version, "doc": doc}))

    @app.get("/v1/clerks")
    async def clerks(c: Annotated[Client, Depends(counter)]) -> dict[str, Any]:
        """This office's clerks with their PIN hashes (argon2), so a counter can sign
        them in while the network is down. PINs themselves never reach the service."""
        return {"clerks": db.clerks.of_office(c.office)}

    @app.get("/v1/audit/anchors")
    async def audit_anchors(c: Annotated[Client, Depends(counter)]) -> dict[str, Any]:
        """The heads this counter reported for its own audit chain: ``counter-tui audit
        verify`` checks its chain against them (a chain cut short and re-headed shows)."""
        return {"anchors": db.audit.anchors(c.id)}

    add_file_routes(
        app,
        db,
        DiskFileStore(folder),
        Uploads(folder),
        max_bytes=int(files_max_mb * 1024 * 1024),
        client=client,
        counter=counter,
    )
    app.state.files_folder = folder

    @app.get("/v1/backoffice/conflicts")
    def conflicts(c: Annotated[Client, Depends(back_office)]) -> dict[str, Any]:
        return {"conflicts": db.dossiers.conflicts(office=c.office)}

    return app
