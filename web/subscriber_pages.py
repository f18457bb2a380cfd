"""Subscribers over HTTP: the operators' REST endpoints under
/api/v1/subscribers (admins only, like rules), and the public pages the email links open, which need no login
because the signed token in the link is the credential:

- ``/unsubscribe?token=…``: GET shows one button; POST (RFC 8058 one-click,
  what mail clients send) unsubscribes at once, no page in between.
- ``/preferences?token=…``: mode, digest hour and weekday, timezone, mute,
  quiet hours and possibly on-topic items in digests per subscription.
- ``/preferences/signup`` and ``/preferences/confirm?token=…``: double opt-in.
  They sit under /preferences because that prefix is public (web/credentials.py).

Pages are Jinja templates with autoescape (web/templates/subscriber/).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, Field

from alerts.preferences import InvalidPreferences, read_preferences, save_preferences
from alerts.rule_model import AlertRule, DeliveryMode
from alerts.rules import get_rule, list_rules
from alerts.schedules import WEEKDAYS, DigestSchedule, QuietHours, UnknownTimezone
from alerts.subscriber_mail import subscriber_links
from alerts.subscribers import (
    Subscriber,
    SubscriberStatus,
    UnknownSubscriber,
    add_confirmed,
    confirm,
    get_subscriber,
    list_subscribers,
    normalise_address,
    remove_subscriber,
    sign_up,
    unsubscribe_everything,
)
from alerts.subscriptions import Subscription, leave_rule, rule_by_id, subscribe, subscriptions_of
from alerts.tokens import InvalidToken, LinkGrant, TokenPurpose, signing_key, verify_token
from search.engine import SearchEngine
from search.indexes import ensure_indices
from web.auth import Admin
from web.routing import WebDeps, web_route

MAX_FORM_BYTES = 64_000
MODES = [("immediate", "as it happens"), ("digest", "in my digest"), ("off", "off")]

_pages = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                     autoescape=select_autoescape(["html"]), undefined=StrictUndefined)


def page(template: str, heading: str, status: int = 200, **values: Any) -> HTMLResponse:
    body = _pages.get_template(f"subscriber/{template}.html").render(heading=heading, **values)
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


async def form_fields(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(status_code=413, detail="form too large")
    return parse_qs(body.decode("utf-8", "replace"), max_num_fields=500)


FormFields = Annotated[dict[str, list[str]], Depends(form_fields)]


def subscriber_address(address: str) -> str:
    """The address in the path, normalised; a 404 for anything that is not an
    email address, since no subscriber can have it."""
    try:
        return normalise_address(address)
    except ValueError as failure:
        raise HTTPException(status_code=404, detail=str(failure)) from failure


SubscriberAddress = Annotated[str, Depends(subscriber_address)]


class SubscriberRequest(BaseModel):
    address: str = Field(max_length=254)
    timezone: str = "UTC"
    # An operator vouching for the address skips the confirm email.
    confirmed: bool = False


class SubscriptionRequest(BaseModel):
    mode: DeliveryMode = DeliveryMode.IMMEDIATE
    digest: DigestSchedule = DigestSchedule()
    mute_until: date | None = None
    quiet_hours: QuietHours | None = None
    # Possibly on-topic matches too, in the digest only (alerts/bands.py).
    include_possible: bool = False


@web_route(order=110)
def subscribers_router(deps: WebDeps) -> APIRouter:
    settings, search_engine = deps.settings, deps.search_engine
    router = APIRouter()
    prepared: list[SearchEngine] = []

    def engine() -> SearchEngine:
        """The app's engine, with the subscriber indices made on first use."""
        if not prepared:
            ensure_indices(search_engine(), settings)
            prepared.append(search_engine())
        return prepared[0]

    def grant_of(token: str, purpose: TokenPurpose) -> LinkGrant:
        try:
            return verify_token(signing_key(settings), token, purpose)
        except InvalidToken as failure:
            raise HTTPException(status_code=400, detail=f"this link does not work: {failure}") from failure

    def known_rule(name: str) -> AlertRule:
        rule = get_rule(engine(), settings, name)
        if rule is None:
            raise HTTPException(status_code=404, detail=f"no rule {name!r}")
        return rule

    def described(address: str) -> dict[str, Any]:
        record = get_subscriber(engine(), settings, address)
        subscriptions = subscriptions_of(engine(), settings, address, list_rules(engine(), settings))
        if record is None and not subscriptions:
            raise HTTPException(status_code=404, detail=f"no subscriber {address!r}")
        return {"subscriber": record.model_dump(mode="json") if record else None,
                "subscriptions": [s.model_dump(mode="json") for s in subscriptions]}

    @router.get("/api/v1/subscribers", tags=["subscribers"])
    def api_list(_: Admin) -> list[dict[str, Any]]:
        return [record.model_dump(mode="json") for record in list_subscribers(engine(), settings)]

    @router.post("/api/v1/subscribers", status_code=201, tags=["subscribers"])
    def api_add(request: SubscriberRequest, _: Admin) -> dict[str, Any]:
        try:
            if request.confirmed:
                record = add_confirmed(engine(), settings, request.address, request.timezone)
            else:
                record = sign_up(engine(), settings, request.address, request.timezone)
        except (ValueError, UnknownTimezone) as failure:
            raise HTTPException(status_code=422, detail=str(failure)) from failure
        return record.model_dump(mode="json")

    @router.get("/api/v1/subscribers/{address}", tags=["subscribers"])
    def api_show(address: SubscriberAddress, _: Admin) -> dict[str, Any]:
        return described(address)

    @router.post("/api/v1/subscribers/{address}/confirm", tags=["subscribers"])
    def api_confirm(address: SubscriberAddress, _: Admin) -> dict[str, Any]:
        try:
            return confirm(engine(), settings, address).model_dump(mode="json")
        except UnknownSubscriber as failure:
            raise HTTPException(status_code=404, detail=str(failure)) from failure

    @router.delete("/api/v1/subscribers/{address}", tags=["subscribers"])
    def api_remove(address: SubscriberAddress, _: Admin) -> dict[str, bool]:
        return {"removed": remove_subscriber(engine(), settings, address)}

    @router.put("/api/v1/subscribers/{address}/subscriptions/{rule_name}", tags=["subscribers"])
    def api_subscribe(address: SubscriberAddress, rule_name: str, request: SubscriptionRequest,
                      _: Admin) -> dict[str, Any]:
        subscription = subscribe(engine(), settings, address, known_rule(rule_name), request.mode, request.digest,
                                 request.mute_until, request.quiet_hours, request.include_possible)
        return subscription.model_dump(mode="json")

    @router.delete("/api/v1/subscribers/{address}/subscriptions/{rule_name}", tags=["subscribers"])
    def api_unsubscribe(address: SubscriberAddress, rule_name: str, _: Admin) -> dict[str, Any]:
        rule = known_rule(rule_name)
        return leave_rule(engine(), settings, address, rule.id, rule.name).model_dump(mode="json")

    @router.get("/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe_page(token: str = "") -> HTMLResponse:
        grant = grant_of(token, TokenPurpose.UNSUBSCRIBE)
        what = "this alert" if grant.rule_id else "every Coverwatch alert and digest"
        return page("button", "Unsubscribe", text=f"Stop sending {what} to {grant.address}?",
                    action=f"/unsubscribe?token={token}", hidden={"List-Unsubscribe": "One-Click"},
                    button="Unsubscribe")

    @router.post("/unsubscribe", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe_now(token: str = "") -> HTMLResponse:
        grant = grant_of(token, TokenPurpose.UNSUBSCRIBE)
        rule = rule_by_id(engine(), settings, grant.rule_id) if grant.rule_id else None
        if grant.rule_id:
            leave_rule(engine(), settings, grant.address, grant.rule_id, rule.name if rule else grant.rule_id)
            text = f"{grant.address} gets no more alerts from “{rule.name if rule else 'this rule'}”."
        else:
            unsubscribe_everything(engine(), settings, grant.address, "one-click unsubscribe")
            text = f"{grant.address} gets no more Coverwatch email."
        return page("message", "Unsubscribed", text=text)

    def preferences_page(grant: LinkGrant, token: str, error: str = "", status: int = 200) -> HTMLResponse:
        record = get_subscriber(engine(), settings, grant.address)
        subscriptions = subscriptions_of(engine(), settings, grant.address, list_rules(engine(), settings))
        items = [{**s.model_dump(), "current_mode": s.mode.value if s.active else "off"} for s in subscriptions]
        return page("preferences", "Preferences", status, address=grant.address, token=token, error=error,
                    timezone=record.timezone if record else "UTC", subscriptions=items, modes=MODES,
                    weekdays=WEEKDAYS, left=bool(record and record.status is SubscriberStatus.UNSUBSCRIBED),
                    unsubscribe_url=subscriber_links(settings, grant.address).unsubscribe_url)

    @router.get("/preferences", response_class=HTMLResponse, include_in_schema=False)
    def preferences_form(token: str = "") -> HTMLResponse:
        return preferences_page(grant_of(token, TokenPurpose.PREFERENCES), token)

    @router.post("/preferences", response_class=HTMLResponse, include_in_schema=False)
    def preferences_save(form: FormFields, token: str = "") -> HTMLResponse:
        grant = grant_of(token, TokenPurpose.PREFERENCES)
        record: Subscriber | None = get_subscriber(engine(), settings, grant.address)
        current: list[Subscription] = subscriptions_of(engine(), settings, grant.address,
                                                       list_rules(engine(), settings))
        try:
            chosen = read_preferences(form, record.timezone if record else "UTC", current)
        except InvalidPreferences as failure:
            return preferences_page(grant, token, str(failure), status=400)
        save_preferences(engine(), settings, grant.address, chosen)
        return preferences_page(grant, token)

    @router.get("/preferences/signup", response_class=HTMLResponse, include_in_schema=False)
    def signup_form() -> HTMLResponse:
        return page("signup", "Sign up")

    @router.post("/preferences/signup", response_class=HTMLResponse, include_in_schema=False)
    def signup(form: FormFields) -> HTMLResponse:
        address, timezone = (form.get("address") or [""])[0], (form.get("timezone") or ["UTC"])[0] or "UTC"
        try:
            normalise_address(address)
            sign_up(engine(), settings, address, timezone.strip())
        except (ValueError, UnknownTimezone) as failure:
            return page("message", "Not signed up", 400, text=str(failure))
        # The same answer whatever the address's state: the form tells nobody who subscribes.
        return page("message", "Check your mailbox", text=f"If {address} can receive alerts, a message to "
                    "confirm it is on its way. Nothing else is sent until the link in it is used.")

    @router.get("/preferences/confirm", response_class=HTMLResponse, include_in_schema=False)
    def confirm_page(token: str = "") -> HTMLResponse:
        # A button, not a confirmation on GET: mail scanners open links, people press buttons.
        grant = grant_of(token, TokenPurpose.CONFIRM)
        return page("button", "Confirm", text=f"Send Coverwatch alerts to {grant.address}?",
                    action=f"/preferences/confirm?token={token}", hidden={}, button="Confirm")

    @router.post("/preferences/confirm", response_class=HTMLResponse, include_in_schema=False)
    def confirm_now(token: str = "") -> HTMLResponse:
        grant = grant_of(token, TokenPurpose.CONFIRM)
        try:
            confirm(engine(), settings, grant.address)
        except UnknownSubscriber:
            return page("message", "Nothing to confirm", 404, text="This sign-up was removed; sign up again.")
        return page("message", "Confirmed", text=f"{grant.address} is subscribed.")

    return router
