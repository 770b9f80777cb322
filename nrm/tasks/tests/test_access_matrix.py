"""The task and notification pages and API against the outsiders: anonymous, another organisation, the wrong role.

The scene: a case of the Centre for Social Work Belgrade (``socialwork``) with a task written by
hand (its title names someone), a referral to the NGO shelter that the NGO accepted, which told
``socialwork`` in a notification; ``colleague`` is a second case worker of the Centre, to whom the
task may be reassigned (the NGO, which sees the case, may not give the Centre's task away).
``other_org`` is the second NGO (a case worker of an
organisation that never saw the case), ``wrong_role`` the analyst (no case role at all). Lists
answer each their own (an empty list); a record of someone else's is a 404 and an audited denial.
"""

from __future__ import annotations

import datetime as dt

from conftest import fresh
from nrm.accounts.choices import Role
from nrm.cases.tests.helpers import IDENTITY, member, move, open_case, refer, share
from nrm.referrals.choices import ReferralStatus
from nrm.tasks import services
from nrm.tasks.choices import NotificationKind, TaskKind
from nrm.tasks.models import Notification
from tests.matrix import AREA, LIST, Route, Scene, matrix_tests

TITLE = "Call Zorkana about the hearing"
OUT = ("other_org", "wrong_role")


def build_scene(world) -> Scene:
    owner = world["socialwork"]
    case = open_case(owner, "csr-bg")
    task = services.task_create(
        actor=fresh(owner), case=case, kind=TaskKind.FOLLOW_UP, due_on=dt.date.today(), title=TITLE, assigned_to=owner
    )
    share(owner, case, "ngo-sigurna")
    move(world["ngo"], refer(owner, case, "ngo-sigurna"), ReferralStatus.ACCEPTED)
    # The one this scene made (other scenes built in the same database notify the owner too).
    note = Notification.objects.filter(recipient=owner, kind=NotificationKind.REFERRAL_ACCEPTED).latest("pk")
    colleague = member("colleague-csr", "csr-bg", Role.CASEWORKER)
    return Scene(
        users={**world, "other_org": world["ngo2"], "wrong_role": world["analyst"]},
        ids={
            "case": case,
            "task": task,
            "note": note,
            "colleague": colleague,
            "version": task.version,
            "today": dt.date.today().isoformat(),
        },
        secrets=[TITLE, *IDENTITY.values()],
        # Marking read sets ``read_at`` only (notifications have no update time).
        state=lambda: sorted(Notification.objects.values_list("pk", "read_at")),
    )


ROUTES = [
    # --- Pages -------------------------------------------------------------------------------
    Route("get", "/tasks/", "socialwork", kind=LIST, refused={"other_org": 200, "wrong_role": 404}),
    # A case's tasks: another organisation is refused the case (audited); no case role, the area.
    Route("get", "/tasks/?case={case}", "socialwork", outsiders=("other_org",), name="GET /tasks/?case"),
    Route(
        "post",
        "/tasks/?case={case}",
        "socialwork",
        302,
        data={"kind": "follow_up", "due_on": "{today}", "title": "Check the shelter place"},
        outsiders=("other_org",),
        name="POST /tasks/?case",
    ),
    Route("get", "/tasks/{task}/", "socialwork", outsiders=OUT),
    Route("post", "/tasks/{task}/close/", "socialwork", 302, data={"version": "{version}", "status": "done"}),
    Route("get", "/tasks/{task}/assign/", "socialwork", outsiders=(*OUT, "ngo")),
    Route(
        "post",
        "/tasks/{task}/assign/",
        "socialwork",
        302,
        data={"assigned_to": "{colleague}", "version": "{version}"},
        outsiders=(*OUT, "ngo"),
    ),
    Route("get", "/notifications/", "socialwork", kind=LIST),
    Route("post", "/notifications/{note}/read/", "socialwork", 302),
    # Marks the caller's own: an outsider's request changes nothing of anyone else's.
    Route("post", "/notifications/read-all/", "socialwork", 302, kind=AREA, refused=302),
    # --- API ---------------------------------------------------------------------------------
    Route("get", "/api/v1/tasks/", "socialwork", kind=LIST),
    Route("get", "/api/v1/tasks/{task}/", "socialwork"),
    Route(
        "post",
        "/api/v1/tasks/",
        "socialwork",
        201,
        data={"case": "{case}", "kind": "follow_up", "due_on": "{today}"},
    ),
    Route("post", "/api/v1/tasks/{task}/close/", "socialwork", data={"version": "{version}"}),
    Route(
        "post",
        "/api/v1/tasks/{task}/assign/",
        "socialwork",
        data={"assigned_to": "colleague-csr", "version": "{version}"},
        outsiders=(*OUT, "ngo"),
    ),
    Route("get", "/api/v1/notifications/", "socialwork", kind=LIST),
    Route("post", "/api/v1/notifications/{note}/read/", "socialwork"),
    Route("post", "/api/v1/notifications/read-all/", "socialwork", kind=AREA, refused=200),
]

test_anonymous, test_outsiders, test_right_role = matrix_tests(ROUTES)
