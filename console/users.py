"""``coverwatch users add|list|disable|token|revoke|feed-token|feed-revoke``: the
accounts of the analyst pages and API (web/accounts.py) and their feed tokens
(web/feed_tokens.py); the first admin is made here."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from coverwatch.settings import get_settings


def _users(args: argparse.Namespace) -> int:
    """Accounts of the analyst pages and API (web/accounts.py); the first admin is made here."""
    import redis

    from coverwatch.connections import redis_client_for
    from web.accounts import AccountError, AccountStore
    from web.credentials import Role, new_secret
    from web.feed_tokens import FeedTokens

    settings = get_settings()
    client = redis_client_for(settings)
    store, feed_tokens = AccountStore(client, settings), FeedTokens(client, settings)
    try:
        if args.action == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_secret(12)
            user = store.add_user(args.name, Role(args.role), password, args.email)
            shown = "" if args.password_stdin else f"; password (shown once): {password}"
            print(f"user {user.name!r} ({user.role.value}) added{shown}")
        elif args.action == "disable":
            user = store.set_disabled(args.name, disabled=not args.enable)
            print(f"user {user.name!r} {'disabled' if user.disabled else 'enabled'}")
        elif args.action == "token":
            text, token = store.issue_token(args.name, args.label or "", args.days)
            until = f", expires {token.expires_at}" if token.expires_at else ""
            print(f"token {token.id} for {token.user!r}{until}; send it as 'Authorization: Bearer <token>'. "
                  "It is shown once:", file=sys.stderr)
            print(text)
        elif args.action == "revoke":
            token = store.revoke_token(args.token_id)
            print(f"token {token.id} of {token.user!r} revoked")
        elif args.action == "feed-token":
            text, feed_token = feed_tokens.issue(args.name, args.label or "")
            base = f"{settings.public_url.rstrip('/')}/feeds/{text}"
            print(f"feed token {feed_token.id} for {feed_token.user!r}: it reads this user's Atom feeds and nothing "
                  f"else. Feeds: {base}/all.atom, {base}/saved/<saved search id>.atom, "
                  f"{base}/stories/<story id>.atom. The token:", file=sys.stderr)
            print(text)
        elif args.action == "feed-revoke":
            feed_token = feed_tokens.revoke(args.token_id)
            print(f"feed token {feed_token.id} of {feed_token.user!r} revoked")
        else:
            for user in store.list_users():
                tokens = [f"{t.id}{' (revoked)' if t.revoked else ''}" for t in store.tokens_of(user.name)]
                feeds = [f"{t.id}{' (revoked)' if t.revoked else ''}" for t in feed_tokens.tokens_of(user.name)]
                print(f"{user.name}  {user.role.value}  {user.email or '-'}"
                      f"{'  (disabled)' if user.disabled else ''}  tokens: {', '.join(tokens) or '-'}"
                      f"  feed tokens: {', '.join(feeds) or '-'}")
    except (AccountError, redis.RedisError) as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    return 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    users = commands.add_parser("users", help="analyst accounts: roles, passwords, API and feed tokens")
    user_actions = users.add_subparsers(dest="action", required=True)
    add_user = user_actions.add_parser("add", help="a new account; prints a generated password")
    add_user.add_argument("name")
    add_user.add_argument("--role", choices=["viewer", "analyst", "admin"], default="viewer")
    add_user.add_argument("--email", help="where the alerts made from this user's searches go")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user_actions.add_parser("list")
    disable_user = user_actions.add_parser("disable", help="refuse its logins, sessions and tokens at once")
    disable_user.add_argument("name")
    disable_user.add_argument("--enable", action="store_true", help="undo a disable")
    issue = user_actions.add_parser("token", help="a new API token for scripts (printed once)")
    issue.add_argument("name")
    issue.add_argument("--days", type=float, help="expire after this many days (default: never)")
    issue.add_argument("--label", help="what the token is for")
    user_actions.add_parser("revoke", help="revoke an API token by its id").add_argument("token_id")
    feed = user_actions.add_parser("feed-token", help="a new feed token: read-only, in feed URLs, for feed readers")
    feed.add_argument("name")
    feed.add_argument("--label", help="what the token is for (a reader, a device)")
    user_actions.add_parser("feed-revoke", help="revoke a feed token by its id").add_argument("token_id")
    users.set_defaults(handler=_users)
