"""The statistics pages and API against the outsiders (shared harness, ``tests/matrix.py``).

Published statistics are for every user with a role; a signed-in account without one finds
nothing (a 404 page; the API answers 403, as for raw counts). Raw counts are the admin's alone.
"""

from __future__ import annotations

from nrm.accounts.models import User
from nrm.reporting.tests.helpers import victim
from tests.matrix import Route, Scene, matrix_tests

TABLE = "eurostat_registered_sex_age"
NOBODY = ("nobody",)
CUSTOM = {"dim1": "year", "dim2": "sex"}


def build_scene(world) -> Scene:
    for _ in range(3):
        victim(world["police"])
    return Scene(
        users={**world, "nobody": User.objects.create_user(username="nobody", password="not-used-in-tests")},
        ids={"table": TABLE},
    )


PAGES = [
    Route("get", "/statistics/", "analyst", outsiders=NOBODY, kind="area"),
    *(
        Route("get", f"/statistics/tables/{{table}}/{suffix}", "police", outsiders=NOBODY, kind="area")
        for suffix in ("", "table.csv", "table.xlsx", "table.pdf")
    ),
    *(
        Route("get", f"/statistics/custom/{suffix}", "analyst", data=CUSTOM, outsiders=NOBODY, kind="area")
        for suffix in ("", "table.csv", "table.xlsx", "table.pdf")
    ),
    Route("get", "/statistics/publications/", "police", outsiders=NOBODY, kind="area"),
    Route(
        "post",
        "/statistics/publications/",
        "analyst",
        ok=302,
        data={"tables": [TABLE], "year_from": "2024"},
        outsiders=("police", "ngo", "nobody"),
        kind="area",
    ),
]
API = [
    Route("get", "/api/v1/stats/", "analyst", data={"by": "year,sex"}, outsiders=NOBODY, refused=403),
    Route("get", "/api/v1/stats/tables/", "ngo", outsiders=NOBODY, refused=403),
    Route("get", "/api/v1/stats/tables/{table}/", "analyst", outsiders=NOBODY, refused=403),
    Route("get", "/api/v1/stats/datasets/", "analyst", outsiders=NOBODY, refused=403),
    Route("get", "/api/v1/stats/dimensions/", "analyst", outsiders=NOBODY, refused=403),
    Route(
        "get",
        "/api/v1/stats/",
        "admin",
        data={"by": "year", "raw": "1"},
        outsiders=("analyst", "police", "nobody"),
        refused=403,
        name="GET /api/v1/stats/?raw=1",
    ),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(PAGES + API)
