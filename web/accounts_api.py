"""Accounts over the API: who am I (any user) and, for admins, the users."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException

from web.accounts import AccountError, AccountStore, User
from web.auth import Admin, SignedIn
from web.routing import WebDeps, web_route


@dataclass
class UserView:
    """A user as the API shows it: never the password hash."""

    name: str
    role: str
    email: str | None
    disabled: bool
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.name, user.role.value, user.email, user.disabled, user.created_at)


@web_route(order=20)
def accounts_router(deps: WebDeps) -> APIRouter:
    settings, redis_connection = deps.settings, deps.redis_connection
    router = APIRouter(prefix="/api/v1", tags=["accounts"])

    def store() -> AccountStore:
        return AccountStore(redis_connection(), settings)

    @router.get("/me", summary="The signed-in user (or the token's owner)")
    def me(principal: SignedIn) -> UserView:
        return UserView.of(principal.user)

    @router.get("/users", summary="Every account (admins only)")
    def users(principal: Admin) -> list[UserView]:
        return [UserView.of(user) for user in store().list_users()]

    @router.post("/users/{name}/disable", summary="Refuse an account's logins, sessions and tokens (admins only)")
    def disable(name: str, principal: Admin) -> UserView:
        if name.strip().casefold() == principal.name:
            raise HTTPException(status_code=409, detail="an admin cannot disable their own account")
        try:
            return UserView.of(store().set_disabled(name))
        except AccountError as failure:
            raise HTTPException(status_code=404, detail=str(failure)) from failure

    return router
