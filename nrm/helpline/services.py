"""Writes of the helpline: log a call, turn a call into a screening.

Keyword-only, one transaction, access checked inside it, the audit row written explicitly. Bad
input raises ``ValidationError`` naming the field; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.accounts.access import Action, get_or_deny, helpline_organisations
from nrm.accounts.models import Organisation, User
from nrm.audit.services import atomic_audited, audit_record
from nrm.cases.choices import AgeBand, Sex
from nrm.cases.models import IndicatorList, Screening
from nrm.cases.services import screening_record
from nrm.core.errors import Conflict, invalid
from nrm.core.validation import check_model_text
from nrm.helpline.choices import Channel
from nrm.helpline.models import Call, Topic


@atomic_audited
def call_log(
    *,
    actor: User,
    organisation: Organisation,
    channel: str,
    topic: str,
    received_at: dt.datetime | None = None,
    language: str = "",
    region: str = "",
    referral_made: bool = False,
    referred_to: Organisation | None = None,
    referred_to_other: str = "",
    notes: str = "",
) -> Call:
    """Log a call or message to the helpline, without the caller's identity."""
    if organisation.pk not in helpline_organisations(actor):
        raise invalid("organisation", _("You cannot log calls for this organisation."))
    if channel not in Channel.values:
        raise invalid("channel", _("“%(value)s” is not a valid choice.") % {"value": channel})
    topic_obj = Topic.objects.filter(code=topic).first()
    if topic_obj is None:
        raise invalid("topic", _("Unknown topic: %(code)s") % {"code": topic})
    received_at = received_at or timezone.now()
    if timezone.is_naive(received_at):
        raise invalid("received_at", _("Give the time with its time zone."))
    if received_at > timezone.now():
        raise invalid("received_at", _("The time cannot be in the future."))
    language = (language or "").strip().lower()
    if language and not (2 <= len(language) <= 3 and language.isalpha()):
        raise invalid("language", _("Use an ISO 639 language code, such as sr or en."))
    referred_to_other = check_model_text(Call, "referred_to_other", referred_to_other)
    region = check_model_text(Call, "region", region)
    notes = check_model_text(Call, "notes", notes)
    if referral_made and referred_to is None and not referred_to_other:
        raise invalid("referred_to", _("Say to whom the caller was referred."))
    if not referral_made and (referred_to is not None or referred_to_other):
        raise invalid("referral_made", _("A referral is named but not marked as made."))
    call = Call.objects.create(
        organisation=organisation,
        taken_by=actor,
        received_at=received_at,
        channel=channel,
        topic=topic_obj,
        language=language,
        region=region,
        referral_made=referral_made,
        referred_to=referred_to,
        referred_to_other=referred_to_other,
        notes=notes,
    )
    audit_record(
        actor=actor,
        action="helpline.call",
        object_type="helpline_call",
        object_id=call.pk,
        organisation_id=organisation.pk,
        detail={"channel": channel, "topic": topic},
    )
    return call


@atomic_audited
def helpline_call_to_screening(
    *,
    actor: User,
    call: Call,
    answers: Iterable[str],
    is_child: bool,
    indicator_list: IndicatorList | None = None,
    sex: str = Sex.UNKNOWN,
    age_band: str = AgeBand.UNKNOWN,
    citizenship: str = "",
) -> Screening:
    """Turn a call into an anonymous screening of the helpline, in one step; link the two.

    The result is computed by the indicator list's rule (:func:`nrm.cases.services.screening_record`),
    dated the day of the call, with channel "helpline". A call becomes one screening at most: a
    second conversion is a :class:`Conflict` and stores nothing.
    """
    found = get_or_deny(
        Call.objects.select_for_update(),
        actor,
        Action.VIEW,
        object_type="helpline_call",
        audit_action="helpline.convert",
        pk=call.pk,
    )
    if found.screening_id:
        raise Conflict(_("This call was already turned into a screening."), field="screening")
    screening = screening_record(
        actor=actor,
        organisation=found.organisation,
        answers=answers,
        is_child=is_child,
        indicator_list=indicator_list,
        anonymous=True,
        screened_on=timezone.localdate(found.received_at),
        sex=sex,
        age_band=age_band,
        citizenship=citizenship,
        region=found.region,
        channel="helpline",
    )
    # Conditional, so that two conversions at once cannot both link a screening.
    if not Call.objects.filter(pk=found.pk, screening__isnull=True).update(screening=screening):
        raise Conflict(_("This call was already turned into a screening."), field="screening")
    call.screening = screening
    audit_record(
        actor=actor,
        action="helpline.convert",
        object_type="helpline_call",
        object_id=found.pk,
        organisation_id=found.organisation_id,
        detail={"screening": screening.pk, "result": screening.result},
    )
    return screening
