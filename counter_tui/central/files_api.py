"""The centre's file endpoints (issue 14): resumable uploads from counters, bytes to the office.

``GET /v1/files/{sha}/upload`` says how far this office's upload of a file got;
``PATCH /v1/files/{sha}/upload`` adds the next chunk (``Upload-Offset``, ``Upload-Length``,
at most :data:`CHUNK_MAX` bytes), and with the last one the centre hashes what it holds and
keeps the file only if the hash is the file's name; ``GET /v1/files/{sha}`` gives the bytes
to a client of an office that holds the file. The protocol is in docs/sync-protocol.md
("Files").

What an office may learn is its own: another office's file is answered exactly as an unknown
one, and an office must send the bytes of a file even when the centre already stores them
for another office (else the answer would tell that some office holds that document).
"""

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Header, HTTPException, Path, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from counter_tui.central.db import CentralDB, Client
from counter_tui.central.filestore import (
    FileStore,
    HashMismatch,
    OffsetMismatch,
    Overrun,
    TooManyOpen,
    Uploads,
)

log = logging.getLogger("counter_tui.central.files")
CHUNK_MAX = 1024 * 1024
BIGINT_MAX = 2**63 - 1
DEFAULT_MAX_MB = 20.0
READ_CHUNK = 256 * 1024
NOT_FOUND = {"detail": "No such file", "code": "file.unknown"}

Sha = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="lowercase hex SHA-256")]
ClientDep = Callable[..., Awaitable[Client]]


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def add_file_routes(
    app: FastAPI,
    db: CentralDB,
    store: FileStore,
    uploads: Uploads,
    *,
    max_bytes: int,
    client: ClientDep,
    counter: ClientDep,
) -> None:
    """Mount the file endpoints on ``app``; ``client``/``counter`` are its token checks."""

    @app.get("/v1/files/{sha}/upload")
    async def upload_state(sha: Sha, c: Annotated[Client, Depends(counter)]) -> Response:
        """How much of this file the centre holds from this office."""
        size = db.files.size(c.office, sha)
        if size is not None:
            return _json({"size": size, "received": size, "complete": True})
        part = uploads.state(c.office, sha)
        if part is None:
            return _json({"size": None, "received": 0, "complete": False})
        return _json({"size": part.size, "received": part.received, "complete": False})

    @app.patch(
        "/v1/files/{sha}/upload",
        openapi_extra={
            "requestBody": {
                "required": False,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def upload_chunk(
        sha: Sha,
        request: Request,
        c: Annotated[Client, Depends(counter)],
        upload_offset: Annotated[int, Header(ge=0, le=BIGINT_MAX)],
        upload_length: Annotated[int, Header(ge=0, le=BIGINT_MAX)],
    ) -> Response:
        """The next chunk of a file, at ``Upload-Offset`` of ``Upload-Length`` bytes."""
        if upload_length > max_bytes:
            return _json(
                {
                    "detail": f"File over the centre's limit of {max_bytes} bytes",
                    "code": "file.too_large",
                },
                413,
            )
        chunk = await request.body()
        if len(chunk) > CHUNK_MAX:
            return _json(
                {"detail": f"Chunk over {CHUNK_MAX} bytes", "code": "chunk.too_large"}, 413
            )
        held = db.files.size(c.office, sha)
        if held is not None:
            # A retry of a finished upload (its answer was lost), or a second counter.
            uploads.discard(c.office, sha)
            return _json({"received": held, "complete": True})
        try:
            received, complete = await run_in_threadpool(
                uploads.append, c.office, sha, upload_length, upload_offset, chunk, store
            )
        except OffsetMismatch as exc:
            return _json(
                {
                    "detail": f"The upload stands at {exc.received}",
                    "code": "offset",
                    "received": exc.received,
                },
                409,
            )
        except TooManyOpen as exc:
            # Busy, not refused: the counter retries later, by when one has finished or gone
            # stale; its files are never set aside for this.
            return Response(
                orjson.dumps(
                    {
                        "detail": f"This office has {exc.args[0]} unfinished uploads already",
                        "code": "uploads.too_many",
                    }
                ),
                429,
                media_type="application/json",
                headers={"Retry-After": "60"},
            )
        except Overrun:
            return _json({"detail": "Chunk past Upload-Length", "code": "upload.overrun"}, 422)
        except HashMismatch:
            log.warning("file from %s/%s does not hash to its name; discarded", c.office, c.name)
            return _json(
                {"detail": "The bytes do not hash to the file's name", "code": "hash.mismatch"},
                422,
            )
        if complete:
            await run_in_threadpool(db.files.add, c.office, sha, upload_length, c.id)
            log.info("file of %d bytes from %s/%s complete", upload_length, c.office, c.name)
        return _json({"received": received, "complete": complete})

    @app.get(
        "/v1/files/{sha}",
        response_class=StreamingResponse,
        responses={200: {"content": {"application/octet-stream": {}}}},
    )
    async def file_bytes(sha: Sha, c: Annotated[Client, Depends(client)]) -> Response:
        """The file's bytes, to a client of an office that holds it, or of the office that
        handles a dossier listing it (received for that office elsewhere)."""
        size = db.files.size(c.office, sha)
        if size is None:
            size = db.files.routed_size(c.office, sha)
        if size is None:
            return _json(NOT_FOUND, 404)
        try:
            f = store.open(sha)
        except FileNotFoundError:
            log.error("file %s… of %s is recorded but missing from the store", sha[:12], c.office)
            raise HTTPException(500, "File missing from the centre's store") from None

        def chunks() -> Iterator[bytes]:
            with f:
                while block := f.read(READ_CHUNK):
                    yield block

        return StreamingResponse(
            chunks(),
            media_type="application/octet-stream",
            headers={"Content-Length": str(size)},
        )
