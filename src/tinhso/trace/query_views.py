"""Named queries and webhook subscriptions of the GS1 EPCIS 2.0 REST binding:

* ``GET|POST /epcis/queries`` — the caller's named queries / create one (201 + Location);
* ``GET|DELETE /epcis/queries/{queryName}`` — one definition / delete it and its subscriptions;
* ``GET /epcis/queries/{queryName}/events`` — its results (EPCISQueryDocument, Link paging);
* ``GET|POST /epcis/queries/{queryName}/subscriptions`` and
  ``GET|DELETE …/subscriptions/{subscriptionID}`` — webhook subscriptions (``stream`` or
  ``schedule``), delivered by ``tinhso.trace.subscriptions``.

Every call needs a bearer token; a query and its subscriptions are its owner's (and the
province's). Results hold only events the owner may read (decision 0020).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse

from tinhso.trace import errors, selectors, services
from tinhso.trace.epcis_views import (
    _authenticate,
    _body,
    _guard,
    _headers,
    _json,
    _link_next,
    _not_allowed,
    query_response,
)
from tinhso.trace.models import NamedQuery, QuerySubscription


def _options(allow: str) -> HttpResponse:
    response = _headers(HttpResponse(status=204))
    response["Allow"] = allow
    return response


def _methods(*allowed: str) -> Callable[[Callable[..., HttpResponse]],
                                         Callable[..., HttpResponse]]:
    """Answer OPTIONS with ``Allow`` and other methods than ``allowed`` (HEAD goes with GET)
    with 405, so each view handles only its own methods."""
    allow = ", ".join(("OPTIONS", *allowed))
    accepted = {*allowed, *(("HEAD",) if "GET" in allowed else ())}

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                return _options(allow)
            if request.method not in accepted:
                return _not_allowed(allow)
            return view(request, *args, **kwargs)
        return wrapped
    return decorate


def query_json(query: NamedQuery) -> dict[str, Any]:
    return {"name": query.name, "query": query.query}


def subscription_json(sub: QuerySubscription) -> dict[str, Any]:
    # The signature token is never shown again (the binding: "should not return the secret").
    body: dict[str, Any] = {
        "subscriptionID": str(sub.pk), "queryName": sub.query.name, "dest": sub.dest,
        "createdAt": sub.created_at.isoformat(),
        "initialRecordTime": sub.initial_record_time.isoformat(),
        "reportIfEmpty": sub.report_if_empty}
    if sub.stream:
        body["stream"] = True
    else:
        body["schedule"] = sub.schedule
    if sub.last_notified_at:
        body["lastNotifiedAt"] = sub.last_notified_at.isoformat()
    return body


@_guard
@_methods("GET", "POST")
def queries(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = _authenticate(request)
        query = services.named_query_create(acting_user=user, body=_body(request))
        response = _json(query_json(query), status=201)
        response["Location"] = "/epcis/queries/" + quote(query.name, safe="")
        return response
    user = _authenticate(request)
    return _json([query_json(q) for q in selectors.named_queries_for(user)[:1000]])


@_guard
@_methods("GET", "DELETE")
def query_detail(request: HttpRequest, name: str) -> HttpResponse:
    user = _authenticate(request)
    if request.method == "DELETE":
        services.named_query_delete(acting_user=user, name=name)
        return _headers(HttpResponse(status=204))
    return _json(query_json(selectors.named_query_for(user, name)))


@_guard
@_methods("GET")
def query_events(request: HttpRequest, name: str) -> HttpResponse:
    user = _authenticate(request)
    query = selectors.named_query_for(user, name)
    extra = set(request.GET) - selectors.PAGING_PARAMETERS
    if extra:
        # WebSocket subscriptions (stream/schedule parameters) are not offered: webhooks are.
        raise errors.query_parameter(
            "Chỉ nhận perPage và nextPageToken (đăng ký qua WebSocket chưa hỗ trợ).",
            "Only perPage and nextPageToken (WebSocket subscriptions are not offered).",
            {"parameters": sorted(extra)})
    params = selectors.query_params(query.query)
    for key in selectors.PAGING_PARAMETERS & set(request.GET):
        params.setlist(key, request.GET.getlist(key))
    page = selectors.events_query(params, user)
    response = query_response(request, [e.document for e in page.events], query.name)
    _link_next(request, response, page.next_token)
    return response


@_guard
@_methods("GET", "POST")
def subscriptions(request: HttpRequest, name: str) -> HttpResponse:
    user = _authenticate(request)
    if request.method == "POST":
        sub = services.subscription_create(acting_user=user, name=name, body=_body(request))
        response = _json(subscription_json(sub), status=201)
        response["Location"] = f"/epcis/queries/{quote(name, safe='')}/subscriptions/{sub.pk}"
        return response
    return _json([subscription_json(s)
                  for s in selectors.subscriptions_for(user, name).select_related("query")])


@_guard
@_methods("GET", "DELETE")
def subscription_detail(request: HttpRequest, name: str, subscription_id: str) -> HttpResponse:
    user = _authenticate(request)
    if request.method == "DELETE":
        services.subscription_delete(acting_user=user, name=name,
                                     subscription_id=subscription_id)
        return _headers(HttpResponse(status=204))
    return _json(subscription_json(selectors.subscription_for(user, name, subscription_id)))
