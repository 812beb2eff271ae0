"""``Annotated`` dependencies: one session per request, the clock, the caller's key and scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.ext.asyncio import AsyncSession

from orbit_voice.db import pop_after_commit
from orbit_voice.errors import Forbidden, Unauthorized
from orbit_voice.kit.clock import Clock
from orbit_voice.logs import org_id_var
from orbit_voice.orgs.service import AuthContext, authenticate
from orbit_voice.runtime import Runtime

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="dv_live_sk_... or dv_test_sk_..."
)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler returns, rolled back on error."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        hooks = pop_after_commit(session)
    for hook in hooks:
        await hook()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_auth(
    request: Request, session: SessionDep, raw: str | None = Security(api_key_header)
) -> AuthContext:
    if not raw:
        raise Unauthorized("Missing X-API-Key header.", code="missing_api_key")
    auth = await authenticate(session, raw)
    if auth is None:
        raise Unauthorized("Unknown or revoked API key.", code="invalid_api_key")
    request.state.org_id = auth.org_id
    org_id_var.set(auth.org_id)
    return auth


def require(scope: str) -> Callable[..., Coroutine[Any, Any, AuthContext]]:
    async def _check(auth: Annotated[AuthContext, Depends(get_auth)]) -> AuthContext:
        if scope not in auth.scopes:
            raise Forbidden(
                f"This API key lacks the '{scope}' scope.",
                code="insufficient_scope",
                details={"required_scope": scope},
            )
        return auth

    return _check


ReadAuth = Annotated[AuthContext, Depends(require("voice:read"))]
WriteAuth = Annotated[AuthContext, Depends(require("voice:write"))]
MonitorAuth = Annotated[AuthContext, Depends(require("voice:monitor"))]


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
