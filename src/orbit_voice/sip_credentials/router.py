from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from orbit_voice.api.deps import ReadAuth, RuntimeDep, SessionDep, WriteAuth
from orbit_voice.api.envelope import Envelope, ListEnvelope, ok, page
from orbit_voice.api.pagination import PageParams, page_params
from orbit_voice.sip_credentials import service
from orbit_voice.sip_credentials.schemas import (
    SipCredentialCreate,
    SipCredentialOut,
    SipCredentialUpdate,
    SipCredentialWithPassword,
)

router = APIRouter(prefix="/sip-credentials", tags=["sip-credentials"])


@router.post(
    "", status_code=201, summary="Create a SIP credential and its extension (password shown once)"
)
async def create_credential(
    request: Request,
    body: SipCredentialCreate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[SipCredentialWithPassword]:
    credential, extension, password = await service.create(
        session, rt.clock, rt.settings.sip_realm, auth.org_id, body
    )
    return ok(request, service.with_password(credential, extension, password, rt.clock.now()))


@router.get("", summary="List SIP credentials, newest first")
async def list_credentials(
    request: Request,
    auth: ReadAuth,
    session: SessionDep,
    rt: RuntimeDep,
    params: Annotated[PageParams, Depends(page_params)],
) -> ListEnvelope[SipCredentialOut]:
    rows, pagination = await service.list_(session, auth.org_id, params)
    now = rt.clock.now()
    return page(request, [service.to_out(c, e, now) for c, e in rows], pagination)


@router.get("/{credential_id}", summary="Get a SIP credential and its register state")
async def get_credential(
    request: Request, credential_id: str, auth: ReadAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[SipCredentialOut]:
    credential, extension = await service.get(session, auth.org_id, credential_id)
    return ok(request, service.to_out(credential, extension, rt.clock.now()))


@router.put("/{credential_id}", summary="Update the extension number, caller id or name")
async def update_credential(
    request: Request,
    credential_id: str,
    body: SipCredentialUpdate,
    auth: WriteAuth,
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[SipCredentialOut]:
    credential, extension = await service.update(
        session, rt.clock, auth.org_id, credential_id, body
    )
    return ok(request, service.to_out(credential, extension, rt.clock.now()))


@router.post("/{credential_id}/rotate", summary="Rotate the password (the new one is shown once)")
async def rotate_credential(
    request: Request, credential_id: str, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[SipCredentialWithPassword]:
    credential, extension, password = await service.rotate(
        session, rt.clock, rt.settings.sip_realm, auth.org_id, credential_id
    )
    return ok(request, service.with_password(credential, extension, password, rt.clock.now()))


@router.delete("/{credential_id}", status_code=204, summary="Delete a credential and its extension")
async def delete_credential(credential_id: str, auth: WriteAuth, session: SessionDep) -> Response:
    await service.delete(session, auth.org_id, credential_id)
    return Response(status_code=204)
