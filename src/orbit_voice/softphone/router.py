from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from orbit_voice.api.deps import RuntimeDep, SessionDep, WriteAuth, api_key_header
from orbit_voice.api.envelope import Envelope, ok
from orbit_voice.calls import service as calls
from orbit_voice.calls.schemas import CallOut
from orbit_voice.errors import Forbidden, Unauthorized
from orbit_voice.orgs.service import AuthContext, authenticate
from orbit_voice.softphone import service
from orbit_voice.softphone.schemas import DialIn, TokenCreate, TokenOut

router = APIRouter(prefix="/softphone", tags=["softphone"])
bearer = HTTPBearer(auto_error=False, description="A softphone token from /softphone/token")


@router.post("/token", status_code=201, summary="Mint a short-lived softphone JWT")
async def create_token(
    request: Request, body: TokenCreate, auth: WriteAuth, session: SessionDep, rt: RuntimeDep
) -> Envelope[TokenOut]:
    minted = await service.mint(session, rt, auth, body.extension_id, body.ttl_seconds)
    return ok(
        request,
        TokenOut(
            token=minted.token, expires_at=minted.expires_at, extension_id=minted.extension_id
        ),
    )


async def _dial_auth(
    request: Request,
    session: SessionDep,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    raw_key: Annotated[str | None, Security(api_key_header)],
) -> tuple[AuthContext, str | None]:
    """A softphone token (``Authorization: Bearer``) or an API key with ``voice:write``;
    when both come, they must belong to the same org."""
    key_auth: AuthContext | None = None
    if raw_key:
        key_auth = await authenticate(session, raw_key)
        if key_auth is None:
            raise Unauthorized("Unknown or revoked API key.", code="invalid_api_key")
    if credentials is not None:
        identity = await service.verify(session, rt, credentials.credentials)
        if key_auth is not None and key_auth.org_id != identity.org_id:
            raise Unauthorized(
                "The softphone token belongs to another organisation than the API key.",
                code="invalid_token",
            )
        request.state.org_id = identity.org_id
        auth = AuthContext(
            org_id=identity.org_id,
            key_id=f"softphone:{identity.jti}",
            mode=identity.mode,
            scopes=frozenset({"voice:write"}),
        )
        return auth, identity.extension_id
    if key_auth is None:
        raise Unauthorized(
            "Send a softphone token (Authorization: Bearer) or an X-API-Key header.",
            code="missing_credentials",
        )
    if "voice:write" not in key_auth.scopes:
        raise Forbidden(
            "This API key lacks the 'voice:write' scope.",
            code="insufficient_scope",
            details={"required_scope": "voice:write"},
        )
    request.state.org_id = key_auth.org_id
    return key_auth, None


@router.post("/dial", status_code=201, summary="Place a call from a softphone's extension")
async def dial(
    request: Request,
    body: DialIn,
    auth: Annotated[tuple[AuthContext, str | None], Depends(_dial_auth)],
    session: SessionDep,
    rt: RuntimeDep,
) -> Envelope[CallOut]:
    context, token_extension = auth
    call = await service.dial(session, rt, context, body, token_extension)
    return ok(request, calls.to_out(call, rt.clock.now()))
