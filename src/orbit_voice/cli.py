"""``orbit-voice``: serve, migrate, and manage API keys."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy import func, select

from orbit_voice.config import get_settings
from orbit_voice.db import make_engine, make_sessionmaker
from orbit_voice.errors import OrbitError
from orbit_voice.kit.clock import SystemClock
from orbit_voice.logs import configure as configure_logging
from orbit_voice.migrate import upgrade
from orbit_voice.orgs import service as orgs
from orbit_voice.orgs.models import ApiKey


async def _create_key(org: str, test: bool, scopes: list[str]) -> str:
    engine = make_engine(get_settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            now = SystemClock().now()
            record = await orgs.get_or_create_org(session, org, now)
            raw = await orgs.create_key(session, record, test=test, scopes=scopes, now=now)
            await session.commit()
            return raw
    finally:
        await engine.dispose()


async def _revoke(prefix: str) -> int:
    engine = make_engine(get_settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            count = await orgs.revoke_key(session, prefix, SystemClock().now())
            await session.commit()
            return count
    finally:
        await engine.dispose()


async def _bootstrap() -> str | None:
    """First start: org ``default`` with one test key. Later starts: nothing."""
    engine = make_engine(get_settings().database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            keys = (await session.execute(select(func.count()).select_from(ApiKey))).scalar_one()
            if keys:
                return None
            now = SystemClock().now()
            org = await orgs.get_or_create_org(session, "default", now)
            raw = await orgs.create_key(
                session, org, test=True, scopes=orgs.DEFAULT_SCOPES, now=now
            )
            await session.commit()
            return raw
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orbit-voice")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations and serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--bootstrap",
        action="store_true",
        help="on first start, create org 'default' and print a test API key",
    )
    sub.add_parser("migrate", help="apply database migrations")

    keys = sub.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key (printed once)")
    create.add_argument("--org", required=True)
    create.add_argument("--test", action="store_true", help="a simulator key (dv_test_sk_)")
    create.add_argument(
        "--scope",
        action="append",
        choices=orgs.SCOPES,
        dest="scopes",
        help="repeat for several; default: all",
    )
    revoke = keys_sub.add_parser("revoke", help="revoke every key starting with PREFIX")
    revoke.add_argument("prefix")

    args = parser.parse_args(argv)
    settings = get_settings()

    if args.command == "migrate":
        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "keys" and args.keys_command == "create":
        upgrade(settings.database_url)
        raw = asyncio.run(_create_key(args.org, args.test, args.scopes or orgs.DEFAULT_SCOPES))
        print(
            f"Created a {'test' if args.test else 'live'} key for org '{args.org}'.",
            "It is shown only now:",
            file=sys.stderr,
        )
        print(raw)
        return 0
    if args.command == "keys" and args.keys_command == "revoke":
        if len(args.prefix) < 15:
            print("give at least 15 characters of the key to revoke", file=sys.stderr)
            return 2
        try:
            count = asyncio.run(_revoke(args.prefix))
        except OrbitError as exc:
            print(exc.message, file=sys.stderr)
            return 1
        print(f"revoked {count} key(s)")
        return 0
    if args.command == "serve":
        import uvicorn

        from orbit_voice.app import create_app

        upgrade(settings.database_url)
        if args.bootstrap:
            first_key = asyncio.run(_bootstrap())
            if first_key:
                print(
                    "\nFirst start: created org 'default' and this test API key "
                    "(shown only once):\n"
                )
                print(f"    {first_key}\n", flush=True)
        configure_logging(settings.log_json)
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None)
        return 0
    parser.error("unknown command")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
