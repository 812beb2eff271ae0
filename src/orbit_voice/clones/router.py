from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import UploadFile
from starlette.types import Message

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.clones import service
from orbit_voice.clones.exceptions import UnsupportedMediaType
from orbit_voice.clones.schemas import PreviewIn, VoiceCloneOut

router = APIRouter(prefix="/clones", tags=["voice-clones"])

# Room for the multipart framing and the name field around a maximal sample.
_BODY_SLACK = 64 * 1024
_UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["name", "file"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 200},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "WAV, MP3 or FLAC; mono, >= 16 kHz, >= 30 s of "
                            "speech, <= 50 MB",
                        },
                    },
                }
            }
        },
    },
    "responses": {
        "413": {"description": "The sample is larger than 50 MB"},
        "415": {"description": "Not multipart, or the file is not decodable WAV/MP3/FLAC"},
    },
}


def _limited(request: Request, limit: int) -> Request:
    """The request with a body that stops (413) as soon as it grows past ``limit`` bytes,
    whether or not a Content-Length announced it."""
    received = 0
    upstream = request.receive

    async def receive() -> Message:
        nonlocal received
        message = await upstream()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise service.too_large()
        return message

    return Request(request.scope, receive)


@router.post(
    "",
    status_code=201,
    summary="Create a voice clone from an audio sample (multipart: name, file)",
    openapi_extra=_UPLOAD_DOC,
)
async def create_clone(
    request: Request, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[VoiceCloneOut]:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise UnsupportedMediaType(
            "Send multipart/form-data with a 'name' field and the audio as 'file'."
        )
    limit = service.MAX_BYTES + _BODY_SLACK
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise service.too_large()
    async with _limited(request, limit).form(max_files=1, max_fields=10) as form:
        name = form.get("name")
        upload = form.get("file") or form.get("audio")
        if isinstance(name, UploadFile):
            name = None
        source = upload.file if isinstance(upload, UploadFile) else None
        clone = await service.create(session, rt, auth.org_id, name, source)
    return ok(request, service.to_out(clone))


@router.get("", summary="List voice clones, newest first")
async def list_clones(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[VoiceCloneOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    return page(request, [service.to_out(c) for c in rows], pagination)


@router.get("/{clone_id}", summary="Get a voice clone")
async def get_clone(
    request: Request, clone_id: str, auth: ReadAuth, session: SessionDep
) -> Envelope[VoiceCloneOut]:
    return ok(request, service.to_out(await service.get(session, auth.org_id, clone_id)))


@router.delete("/{clone_id}", status_code=204, summary="Delete a voice clone and its sample")
async def delete_clone(clone_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, clone_id)
    return Response(status_code=204)


@router.post(
    "/{clone_id}/preview",
    summary="Speak a text with the clone's voice (audio/wav)",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
async def preview_clone(
    clone_id: str, body: PreviewIn, auth: ReadAuth, session: SessionDep
) -> Response:
    audio = await service.preview(session, auth.org_id, clone_id, body.text)
    return Response(audio, media_type="audio/wav")
