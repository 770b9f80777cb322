"""The API's content negotiation answers as DRF's does, for every Accept header."""

from __future__ import annotations

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from nrm.api.negotiation import ContentNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "text/html",
    "application/json; indent=4",
    "text/html, application/json;q=0.9",
    "application/*",
    "",
    " */*",
    "image/png",
    "application/json, */*",
]


def _answer(negotiation, accept, renderers, query="", suffix=None):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/cases/1/" + query, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except NotAcceptable:
        return "406"
    except Http404:  # no renderer of the format asked for
        return "404"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=api", "?format=json"])
@pytest.mark.parametrize(
    "renderers",
    [[JSONRenderer, BrowsableAPIRenderer], [BrowsableAPIRenderer, JSONRenderer], [StaticHTMLRenderer]],
    ids=lambda kinds: "+".join(kind.__name__ for kind in kinds),
)
def test_the_negotiation_answers_as_drfs(accept, query, renderers):
    made = [kind() for kind in renderers]
    ours = _answer(ContentNegotiation(), accept, made, query)
    assert ours == _answer(DefaultContentNegotiation(), accept, made, query)


def test_a_format_suffix_goes_to_drf():
    made = [JSONRenderer(), BrowsableAPIRenderer()]
    assert _answer(ContentNegotiation(), "*/*", made, suffix="api") == ("BrowsableAPIRenderer", "text/html")


@pytest.mark.django_db
def test_the_api_answers_json_to_a_client_that_names_no_type(world):
    from nrm.cases.tests.helpers import api, open_case

    case = open_case(world["police"])
    answer = api(world["police"]).get(f"/api/v1/cases/{case.pk}/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/json"
    assert answer.json()["id"] == case.pk
