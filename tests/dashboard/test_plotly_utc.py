"""The plotly.js bundle the page gets reads date-axis numbers as UTC
(dashboard/server/plotly_utc.py): the change itself, its refusal of a bundle it no longer fits,
and the route serving it. What a browser in Tokyo then draws is proven in
tests/browser/test_time_zone.py."""

from __future__ import annotations

import pkgutil
import re

import dash
import plotly
import pytest
from dash.fingerprint import build_fingerprint

from app import create_app
from dashboard.server.plotly_utc import BUNDLE, PACKAGE, BundleChanged, utc_bundle
from runtime.config import config_from_dict

# The two functions as plotly.js 4 writes them, minified, around other code.
LOCAL = (
    'q.ms2DateTimeLocal=function(e){if(!(e>=A))return z;var r=new Date(e),i=F("%Y-%m-%d")(r),'
    "n=r.getHours();return U(i,n)};"
)
FROM_DATE = (
    "q.dateTime2ms=function(e,t){if(q.isJSDate(e)){var r=e.getTimezoneOffset()*v,i=(e.getUTC"
    "Minutes()-e.getMinutes())*v;if(i){var n=3*v;r=r-n/2+m(i-r+n/2,n)}return e=Number(e)-r,"
    'e>=A&&e<=B?e:z}if(typeof e!="string")return z;e=String(e)};'
)
SMALL = f"var a=1;{LOCAL}var b=2;{FROM_DATE}var c=3;"
PLAIN_URL = f"/_dash-component-suites/{PACKAGE}/{BUNDLE}"


@pytest.fixture(scope="module")
def real_bundle() -> str:
    return pkgutil.get_data(PACKAGE, BUNDLE).decode("utf-8")


def test_both_conversions_answer_in_utc_and_nothing_else_changes():
    changed = utc_bundle(SMALL)
    assert changed == (
        "var a=1;q.ms2DateTimeLocal=function(e){return q.ms2DateTime(e);"
        + LOCAL.removeprefix("q.ms2DateTimeLocal=function(e){")
        + "var b=2;q.dateTime2ms=function(e,t){if(q.isJSDate(e)){return e=Number(e),"
        'e>=A&&e<=B?e:z}if(typeof e!="string")return z;e=String(e)};var c=3;'
    )


def test_the_pinned_bundle_is_changed_in_exactly_those_two_places(real_bundle):
    changed = utc_bundle(real_bundle)
    assert len(changed) > len(real_bundle) - 300  # two small edits, not a truncation
    assert (
        len(re.findall(r"\.ms2DateTimeLocal=function\(\w\)\{return \w+\.ms2DateTime\(", changed))
        == 1
    )
    assert len(re.findall(r"\.isJSDate\((\w)\)\)\{return \1=Number\(\1\),", changed)) == 1
    assert "getTimezoneOffset()*" not in changed.split(".dateTime2ms=function", 1)[1][:200]
    # The rest is the bundle as plotly ships it.
    first = min(real_bundle.index(n) for n in (".dateTime2ms=", ".ms2DateTimeLocal="))
    assert changed.startswith(real_bundle[:first])
    assert changed.endswith(real_bundle[-100_000:])


@pytest.mark.parametrize(
    "text, name",
    [
        (f"var a=1;{FROM_DATE}", "ms2DateTimeLocal"),  # gone
        (f"{LOCAL}{LOCAL}{FROM_DATE}", "ms2DateTimeLocal"),  # twice: which one?
        (f"{LOCAL}{FROM_DATE.replace('Number(e)-r', '+e-r')}", "dateTime2ms"),  # rewritten
    ],
)
def test_a_bundle_it_no_longer_fits_stops_the_start_saying_which_function(text, name):
    with pytest.raises(BundleChanged, match=f"its {name} is not the one") as raised:
        utc_bundle(text)
    assert "plotly_utc.py" in str(raised.value) and "was plotly upgraded" in str(raised.value)


def app_client(tmp_path, **server):
    config = config_from_dict(
        {"data_dir": str(tmp_path / "data"), "server": server}, base_dir=tmp_path
    )
    return create_app(config=config).server.test_client()


def plain_client(tmp_path):
    """A Dash app serving plotly's bundle as it ships (Dash's own route)."""
    app = dash.Dash(__name__)
    app.layout = dash.html.Div()
    return app.server.test_client()


def script_urls(client) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', client.get("/").get_data(as_text=True))


def test_the_page_loads_the_utc_bundle_where_dash_serves_plotly(tmp_path, real_bundle):
    client = app_client(tmp_path)
    # The page asks for it by this name (dcc.Graph loads it on demand) and revalidates it.
    response = client.get(PLAIN_URL)
    assert response.status_code == 200 and response.mimetype == "application/javascript"
    assert response.get_data(as_text=True) == utc_bundle(real_bundle)
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the security headers too
    again = client.get(PLAIN_URL, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    # A browser holding plotly's own bundle (Dash's ETag for it) gets this one.
    stale = plain_client(tmp_path).get(PLAIN_URL).headers["ETag"]
    assert stale != response.headers["ETag"]
    assert client.get(PLAIN_URL, headers={"If-None-Match": stale}).status_code == 200
    # By a fingerprinted name, as Dash would serve it: cached for a year.
    named = build_fingerprint(BUNDLE, plotly.__version__, 1796569825)
    fingerprinted = client.get(f"/_dash-component-suites/{PACKAGE}/{named}")
    assert fingerprinted.get_data(as_text=True) == utc_bundle(real_bundle)
    assert fingerprinted.cache_control.max_age == 31536000
    # Dash's other scripts are Dash's.
    other = next(u for u in script_urls(client) if "/dcc/dash_core_components.v" in u)
    assert client.get(other).status_code == 200


def test_under_a_path_prefix_too(tmp_path, monkeypatch, real_bundle):
    monkeypatch.setenv("DASH_URL_BASE_PATHNAME", "/desk/")
    response = app_client(tmp_path).get("/desk" + PLAIN_URL)
    assert response.get_data(as_text=True) == utc_bundle(real_bundle)


def test_with_a_token_the_bundle_needs_it_like_every_route(tmp_path):
    client = app_client(tmp_path, host="0.0.0.0", auth_token="s3cret-token-0123456789")
    assert client.get(PLAIN_URL).status_code == 401
