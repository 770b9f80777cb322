"""A refusal is audited even though the refused call's transaction is rolled back."""

from __future__ import annotations

import pytest

from nrm.audit.models import AuditEntry
from nrm.audit.services import atomic_audited, audit_record, audit_verify, denied
from nrm.core.errors import NotFound


@pytest.fixture
def new_entries(db):
    """Return a function listing the entries written since the test began (the world may have written some)."""
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return lambda: AuditEntry.objects.filter(id__gt=start).order_by("id")


@atomic_audited
def _refuse_after_writing(object_id: int) -> None:
    audit_record(actor=None, action="thing.write", object_type="thing", object_id=object_id)
    raise denied(actor=None, action="thing.write", object_type="thing", object_id=object_id)


@atomic_audited
def _outer() -> None:
    _refuse_after_writing(2)


@atomic_audited
def _fail() -> None:
    audit_record(actor=None, action="thing.write", object_type="thing", object_id=3)
    raise ValueError("bad input")


def test_denial_is_kept_and_the_rest_rolled_back(new_entries):
    with pytest.raises(NotFound):
        _refuse_after_writing(1)
    [entry] = new_entries()
    assert (entry.action, entry.object_id, entry.outcome, entry.reason) == (
        "thing.write",
        "1",
        "denied",
        "not permitted",
    )
    assert audit_verify().ok


def test_nested_denial_is_written_once(new_entries):
    with pytest.raises(NotFound) as exc:
        _outer()
    assert exc.value.audit is None
    assert list(new_entries().values_list("object_id", "outcome")) == [("2", "denied")]
    assert audit_verify().ok


def test_other_errors_roll_back_everything(new_entries):
    with pytest.raises(ValueError):
        _fail()
    assert not new_entries().exists()


def test_plain_not_found_writes_nothing(new_entries):
    @atomic_audited
    def missing():
        raise NotFound

    with pytest.raises(NotFound):
        missing()
    assert not new_entries().exists()
