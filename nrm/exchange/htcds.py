"""HTCDS v2.0 (Human Trafficking Case Data Standard, IOM) export and import of the system's cases.

One row per case, one column per HTCDS field (``prs_FirstName``, ``vic_TypeOfExploitation``...),
CSV or XLSX. How each field maps to the system, and how the known inconsistencies of the standard
are handled, is documented in ``nrm/exchange/HTCDS.md``.

Import is all or nothing: the whole file is checked first (every enumeration, date, country
and flag), then every row goes through the same services a user's actions go through
(``case_open``, ``identification_decide``...), in one transaction. Any problem, found by the
checks or by a service, is reported by row and column, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from nrm.accounts.access import (
    Action,
    case_staff_organisations,
    identity_organisations,
    owner_organisations,
    restrict,
    restricted_prefetch,
    unrestricted,
)
from nrm.accounts.models import Organisation, User
from nrm.audit.services import audit_record
from nrm.cases import services as case_services
from nrm.cases.choices import (
    AgeBand,
    CaseStatus,
    ClosureReason,
    ConsentPurpose,
    Decision,
    MigrationStatus,
    RecruiterRelationship,
    ReferralSource,
    ServiceStatus,
    Sex,
)
from nrm.cases.models import Case, Episode, Identification, ServiceDelivery
from nrm.cases.selectors import cases_usable_for_statistics
from nrm.core.bulk import insert_many
from nrm.core.errors import Conflict, NotFound
from nrm.core.validation import TEXT_MAX_LENGTH
from nrm.exchange import countries
from nrm.exchange.ctdc import ImportFailed, RowError
from nrm.exchange.models import ReceivedKind, ReceivedRecord
from nrm.exchange.tabular import TableError, read_table, write_table
from nrm.referrals.choices import LegalGround, ReferralKind, ReferralStatus, Urgency

DATA = Path(__file__).resolve().parent / "data" / "htcds_v2_0.json"
AUDIT_CHUNK = 1000


# --- The standard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    section: str
    status: str
    type: str


def _norm(text: str) -> str:
    """Return the comparison form of a picklist value or label: no-break spaces, case and spacing folded."""
    return " ".join(text.replace("\u00a0", " ").split()).casefold()


def _header_key(text: str) -> str:
    return re.sub(r"[\s_]", "", text.replace("\u00a0", " ")).casefold()


@functools.cache
def spec() -> tuple[dict[str, Field], dict[str, list[tuple[str, str]]]]:
    """Return the HTCDS v2.0 fields by name and the picklists (value name, label) by field."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    fields = {f["name"]: Field(f["name"], f["label"], f["section"], f["status"], f["type"]) for f in raw["fields"]}
    picklists = {name: [(v, lab) for v, lab in values] for name, values in raw["picklists"].items()}
    # The XLSForm's consent choices; the field standard has the field as a checkbox.
    return fields, picklists


def htcds_columns() -> list[str]:
    """Return every HTCDS v2.0 field that is not deprecated, in the standard's order."""
    return [f.name for f in spec()[0].values() if f.status != "DEPRECATED"]


def export_columns() -> list[str]:
    """Return the columns of an export: the standard's (:func:`htcds_columns`), then NRM's extensions."""
    return htcds_columns() + list(EXTENSIONS)


# Names that appear in the standard's own files for a field of another name.
HEADER_ALIASES = {
    "vic_TraffickinStatusDecisionMakingOrg": "vic_TraffickingStatusDecisionMakingOrg",  # Excel template typo
}
# Methods of control as named in ``Field Definitions.md`` (``MethodsOfControl<Name>``) where the
# picklist names them differently; RestrictsMovement, UsesChildren... are defined but not listed.
CONTROL_ALIASES = {
    "Threats": "PhysicalThreats",
    "ThreatOfLawEnforcement": "ThreatsLawEnforcement",
    "UsesChildren": "ThreatensChildrenFamily",
    "PsychoactiveSubstances": "PsychoactiveSubstance",
    "RestrictsMovement": "RestrictsMovement",
    "NotSpecified": "Other",
}


@functools.cache
def _choices(field_name: str) -> dict[str, str]:
    """Return normalised value names and labels of a picklist -> canonical (trimmed) value name."""
    out: dict[str, str] = {}
    for value, lab in spec()[1].get(field_name, []):
        canonical = value.strip()
        out[_norm(value)] = canonical
        out.setdefault(_norm(lab), canonical)
    if field_name == "vic_MethodsOfControl":
        for alias, canonical in CONTROL_ALIASES.items():
            out.setdefault(_norm(alias), canonical)
        for key, canonical in list(out.items()):
            out.setdefault("methodsofcontrol" + key.replace(" ", ""), canonical)
    return out


@functools.cache
def _header_index() -> dict[str, str]:
    fields = spec()[0]
    index = {_header_key(name): name for name in fields}
    index |= {_header_key(name): name for name in EXTENSIONS}
    index |= {_header_key(alias): name for alias, name in HEADER_ALIASES.items()}
    labels: dict[str, list[str]] = {}
    for f in fields.values():
        labels.setdefault(_header_key(f.label), []).append(f.name)
    # A label is a header only where it names one field ("Type" and "Longitude" name several).
    index |= {key: names[0] for key, names in labels.items() if len(names) == 1 and key not in index}
    return index


# --- Values ----------------------------------------------------------------------------------


class Invalid(ValueError):
    pass


MULTI = "Multiselect Picklist"
TRUE = {"true", "1", "yes", "y", "1.0"}
FALSE = {"false", "0", "no", "n", "0.0"}


def _match_values(field_name: str, text: str, *, multi: bool) -> list[str]:
    """Return the canonical picklist values of a cell; raise :class:`Invalid` naming the bad part.

    Multi-valued cells are split on ``;``, but some labels contain ``;`` themselves, so adjacent
    parts are joined again when together they are a known label. A space-separated list of value
    names (as ODK/XLSForm exports write ``select_multiple``) is accepted too.
    """
    choices = _choices(field_name)
    whole = _norm(text)
    if whole in choices:
        return [choices[whole]]
    if not multi:
        raise Invalid(f"“{text.strip()}” is not one of {', '.join(_listing(field_name))}")
    parts = text.split(";")
    out: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            key = _norm(";".join(parts[i:j]))
            if key in choices:
                out.append(choices[key])
                i = j
                break
        else:
            piece = parts[i].strip()
            words = piece.split()
            if piece and len(words) > 1 and all(_norm(w) in choices for w in words):
                out.extend(choices[_norm(w)] for w in words)
            elif piece:
                raise Invalid(f"“{piece}” is not one of {', '.join(_listing(field_name))}")
            i += 1
    return list(dict.fromkeys(out))


def _listing(field_name: str) -> list[str]:
    return [v.strip() for v, _lab in spec()[1].get(field_name, [])]


def _date(text: str) -> dt.date:
    value = text.strip()
    try:
        return (
            dt.date.fromisoformat(value[:10]) if len(value) >= 10 and value[4] == "-" else dt.date.fromisoformat(value)
        )
    except (ValueError, IndexError):
        raise Invalid(f"“{value}” is not a date (use YYYY-MM-DD)") from None


def _checkbox(text: str) -> bool:
    value = _norm(text)
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise Invalid(f"“{text.strip()}” is not a checkbox value (use TRUE or FALSE)")


def _country(text: str) -> str:
    code = countries.to_alpha2(text)
    if not code:
        raise Invalid(f"“{text.strip()}” is not an ISO 3166 country code")
    return code


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise Invalid(f"“{text.strip()}” is not a number") from None


COUNTRY_FIELDS = {"prs_Citizenship", "prs_MailingCountry", "org_ShippingCountry", "hte_Country"}
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?$")


def _extension(field_name: str, text: str):
    """Return an ``nrm_*`` cell's value; raise :class:`Invalid` if it does not fit."""
    kind = EXTENSIONS[field_name]
    value = text.strip()
    if isinstance(kind, type):
        if value not in kind.values:
            raise Invalid(f"“{value}” is not one of {', '.join(kind.values)}")
        return value
    if kind == "year":
        if not value.isdigit() or not 1900 <= int(value) <= 2100:
            raise Invalid(f"“{value}” is not a year")
        return int(value)
    if kind == "date":
        return _date(value)
    if kind == "checkbox":
        return _checkbox(value)
    if kind == "episodes":
        return _episodes(value)
    if kind == "history":
        return history_items(field_name, value)
    return value  # text, and a form code (checked by the services against the forms of exploitation)


def _episodes(text: str) -> list[dict]:
    """Return the episodes of an ``nrm_episodes`` cell: a JSON list of objects with :data:`EPISODE_KEYS`."""
    try:
        items = json.loads(text)
    except ValueError:
        raise Invalid("is not a JSON list of episodes") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Invalid("is not a JSON list of episodes")
    out = []
    for item in items:
        unknown = sorted(set(item) - set(EPISODE_KEYS))
        if unknown:
            raise Invalid(f"an episode has the unknown key “{unknown[0]}” (known: {', '.join(EPISODE_KEYS)})")
        episode = {k: item.get(k) or "" for k in ("form", "country", "place")}
        episode["recruiter_relationship"] = item.get("recruiter_relationship") or RecruiterRelationship.UNKNOWN
        if episode["country"]:
            episode["country"] = _country(str(episode["country"]))
        for key in ("started_on", "ended_on"):
            episode[key] = _date(str(item[key])) if item.get(key) else None
        out.append(episode)
    return out


def history_items(column: str, text: str) -> list[dict]:
    """Return the items of a history column (``nrm_referrals``...) in their canonical form (every key,
    in order; dates ``YYYY-MM-DD``, missing ones null); raise :class:`Invalid` naming the item and key."""
    noun, spec_, required = HISTORY_ITEMS[column]
    try:
        items = json.loads(text)
    except ValueError:
        raise Invalid(f"is not a JSON list of {noun}s") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise Invalid(f"is not a JSON list of {noun}s")
    return [_history_item(f"{noun} {n}", item, spec_, required) for n, item in enumerate(items, start=1)]


def _history_item(where: str, item: dict, spec_: dict, required: tuple[str, ...]) -> dict:
    unknown = sorted(set(item) - set(spec_))
    if unknown:
        raise Invalid(f"{where} has the unknown key “{unknown[0]}” (known: {', '.join(spec_)})")
    out: dict = {}
    for key, kind in spec_.items():
        value = item.get(key)
        if value in (None, "") or (kind == "determinations" and value == []):
            if key in required:
                raise Invalid(f"{where}: {key} is missing")
            out[key] = [] if kind == "determinations" else None if kind == "date" else False if kind == "bool" else ""
            continue
        if kind == "determinations":
            if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
                raise Invalid(f"{where}: determinations is not a list of objects")
            out[key] = [
                _history_item(f"{where}, determination {n}", d, DETERMINATION_ITEM, ("determined_on",))
                for n, d in enumerate(value, start=1)
            ]
        elif kind == "bool":
            if not isinstance(value, bool):
                raise Invalid(f"{where}: {key} is not true or false")
            out[key] = value
        elif not isinstance(value, str):
            raise Invalid(f"{where}: {key} is not a text")
        elif kind == "date":
            try:
                day = _date(value)
            except Invalid as exc:
                raise Invalid(f"{where}: {key} {exc}") from None
            if key != "review_on" and day > timezone.localdate():
                raise Invalid(f"{where}: {key} {day.isoformat()} is in the future")
            out[key] = day.isoformat()
        elif isinstance(kind, type):
            if value not in kind.values:
                raise Invalid(f"{where}: {key} “{value}” is not one of {', '.join(v for v in kind.values if v)}")
            out[key] = value
        else:
            if len(value) > TEXT_MAX_LENGTH:
                raise Invalid(f"{where}: {key} is longer than {TEXT_MAX_LENGTH} characters")
            out[key] = value.strip()
    return out


def _history_codes(items: list[dict], spec_: dict) -> Iterable[tuple[str, str, str]]:
    """Yield (what, code, name) of every organisation and service type an item names (determinations too)."""
    for item in items:
        for key, kind in spec_.items():
            if kind == "org" and item.get(key):
                yield "organisation", item[key], item.get(f"{key}_name", "")
            elif kind == "service_type" and item.get(key):
                yield "service type", item[key], ""
            elif kind == "determinations":
                yield from _history_codes(item.get(key) or [], DETERMINATION_ITEM)


def _history_gate(item: dict, spec_: dict, *, notes: bool) -> dict:
    """Return ``item`` with its free texts blanked unless ``notes`` (the owner's staff)."""
    return item if notes else history_erase_texts(item, spec_, "")


def history_erase_texts(item: dict, spec_: dict, replacement: str) -> dict:
    """Return ``item`` with every free text that is not empty (determinations' too) set to ``replacement``."""
    out = dict(item)
    for key, kind in spec_.items():
        if kind == "free" and out.get(key):
            out[key] = replacement
        elif kind == "determinations":
            out[key] = [history_erase_texts(d, DETERMINATION_ITEM, replacement) for d in item.get(key) or []]
    return out


def parse_cell(field_name: str, text: str):
    """Return a cell's value as the field's type requires; raise :class:`Invalid` if it does not fit."""
    if field_name in EXTENSIONS:
        return _extension(field_name, text)
    f = spec()[0][field_name]
    if field_name in COUNTRY_FIELDS:
        codes = [_country(p) for p in re.split(r"[;,\s]+", text.strip()) if p]
        return codes if f.type == MULTI else codes[0] if len(codes) == 1 else _too_many(text)
    if field_name in ("prs_PrimaryLanguage", "prs_SecondaryLanguage"):
        if not LANGUAGE.match(text.strip()):
            raise Invalid(f"“{text.strip()}” is not an ISO 639 language code")
        return text.strip()
    if field_name in spec()[1]:
        values = _match_values(field_name, text, multi=f.type == MULTI)
        return values if f.type == MULTI else values[0]
    if f.type == "Date":
        return _date(text)
    if f.type == "Checkbox":
        return _checkbox(text)
    if f.type in ("Number", "Geolocation"):
        return _number(text)
    return text.strip()


def _too_many(text: str):
    raise Invalid(f"“{text.strip()}” holds more than one country; this field takes one")


# --- Mapping to and from the system ----------------------------------------------------------

SEX_TO = {Sex.FEMALE: "Feminine", Sex.MALE: "Masculine", Sex.OTHER: "NonConforming", Sex.UNKNOWN: "NonSpecifiedUnknown"}
SEX_FROM = {
    "Feminine": Sex.FEMALE,
    "Masculine": Sex.MALE,
    "TransgenderFeminine": Sex.OTHER,
    "TransgenderMasculine": Sex.OTHER,
    "NonConforming": Sex.OTHER,
    "NonSpecifiedUnknown": Sex.UNKNOWN,
}
FORM_TO = {
    "sexual": "SexualExploitation",
    "pornography": "SexualExploitation",
    "labour": "ForcedLabour",
    "forced_labour": "ForcedLabour",
    "begging": "ForcedBegging",
    "criminality": "Other",
    "slavery": "Servitude",
    "organs": "OrganRemoval",
    "forced_marriage": "ForcedMarriage",
    "adoption": "ForcedAdoption",
    "armed_conflict": "ForcedMilitaryByNonStateActors",
    "other": "Other",
}
# Both labour and forced labour are HTCDS's ForcedLabour; back, it is labour exploitation, the
# wider form (forced labour is one kind of it): mapping it to forced_labour turned every labour
# case into a forced-labour one on the way back. The exact form travels in ``nrm_form``.
FORM_FROM = {
    "ForcedLabour": "labour",
    "ChildLabour": "labour",
    "ForcedMarriage": "forced_marriage",
    "Servitude": "slavery",
    "ForcedMilitaryByNonStateActors": "armed_conflict",
    "OrganRemoval": "organs",
    "ForcedBegging": "begging",
    "ForcedAdoption": "adoption",
    "Surrogacy": "other",
    "Other": "other",
}
STATUS_TO = {
    Decision.IDENTIFIED: "ActualVictimOfTrafficking",
    Decision.NOT_IDENTIFIED: "NotAVictimOfTrafficking",
}
STATUS_FROM = {
    "PossibleVictimOfTrafficking": Decision.PENDING,
    "ActualVictimOfTrafficking": Decision.IDENTIFIED,
    "NotAVictimOfTrafficking": Decision.NOT_IDENTIFIED,
}
# The recruiter of an episode -> vic_RelationshipToTrafficker; other and unknown have no value.
RELATION_TO = {
    RecruiterRelationship.FAMILY: "Familial",
    RecruiterRelationship.PARTNER: "Acquainted",
    RecruiterRelationship.FRIEND: "Acquainted",
    RecruiterRelationship.ACQUAINTANCE: "Acquainted",
    RecruiterRelationship.EMPLOYER: "Acquainted",
    RecruiterRelationship.STRANGER: "Unaquainted",  # sic, the standard's spelling
}
RELATION_FROM = {
    "Familial": RecruiterRelationship.FAMILY,
    "Acquainted": RecruiterRelationship.ACQUAINTANCE,
    "Unaquainted": RecruiterRelationship.STRANGER,
}
# The owner's type of organisation -> org_Type; courts and international organisations have no value.
ORG_TYPE_TO = {
    "police": "LawEnforcement",
    "prosecution": "LawEnforcement",
    "ngo": "NGO",
    "helpline": "NGO",
    "health": "HealthServiceOrganisation",
    "asylum": "ImmigrationService",
    "social_work": "LocalGovernmentOrganisation",
    "identification_centre": "CentralGovernmentOrganisation",
    "labour_inspectorate": "CentralGovernmentOrganisation",
    "coordinator": "CentralGovernmentOrganisation",
    "ministry": "CentralGovernmentOrganisation",
    "education": "SchoolOrCollege",
}
# Who brought the person when it was not an organisation: HTCDS has no codes for it, so
# cas_ReferringOrganisation says it in words (and nrm_referral_source keeps the code).
REFERRAL_SOURCE_TO = {
    ReferralSource.SELF: "Self-referral",
    ReferralSource.FAMILY_CITIZEN: "Family member or citizen",
    ReferralSource.FOREIGN_AUTHORITY: "Foreign authority or embassy",
    ReferralSource.OTHER: "Other",
}
# Closure reasons: HTCDS's cas_ReasonForCaseClosure is free text and its only codes are the
# statuses Closed and ClosedReferred; the text is the reason's English name (the code in nrm_closure_reason).
CLOSURE_TO = {
    ClosureReason.REINTEGRATED: "Reintegrated; goals of the plan reached",
    ClosureReason.RETURNED: "Safe return to country of origin",
    ClosureReason.NOT_VICTIM: "Not identified as a victim",
    ClosureReason.DECLINED: "Person declined further support",
    ClosureReason.LOST_CONTACT: "Contact lost",
    ClosureReason.TRANSFERRED: "Transferred to another organisation",
    ClosureReason.DECEASED: "Deceased",
    ClosureReason.OTHER: "Other",
}
# What a guardian appointed in the exporting system is recorded as: whether there is one
# travels, the guardian's identity never does.
GUARDIAN_PLACEHOLDER = "Appointed; the name stays with the exporting organisation"
DECIDER_TYPES = {"police": "Police", "ngo": "NGO", "prosecution": "CourtOrProsecution", "court": "CourtOrProsecution"}
OTHER_DECIDERS = {"international", "helpline"}
# The HTCDS columns that the system stores; any other column with data is reported as not kept.
STORED = {
    "prs_FirstName",
    "prs_SecondName",
    "prs_Birthdate",
    "prs_Gender",
    "prs_Citizenship",
    "prs_IdentityNumber",
    "prs_Email",
    "prs_HomePhone",
    "prs_MobilePhone",
    "prs_MailingStreet",
    "prs_MailingCity",
    "prs_MailingState",
    "prs_MailingPostalCode",
    "prs_MailingCountry",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "vic_TypeOfExploitation",
    "vic_TypeOfSexExploitation",
    "vic_RelationshipToTrafficker",
    "cas_Status",
    "cas_ReasonForCaseClosure",
    "cas_IncomingReferralDate",
    "cco_CaseComment",
    "hte_Type",
    "hte_Country",
    "hte_City",
    "hte_Date",
    "spl_Objectives",
    "con_Consent",
    "vic_AgeWhenTrafficked",
    "cas_ReferringOrganisation",
}
# What HTCDS cannot carry, in columns of NRM's own after the standard's (``nrm_*``), so that two
# deployments exchange a case without loss. An import reads them when present; a plain HTCDS
# file has none. The first episode is the HTCDS columns plus nrm_form, nrm_recruiter_relationship
# and nrm_exploitation_end; the others are nrm_episodes, a JSON list.
EXTENSIONS = {
    "nrm_birth_year": "year",
    "nrm_age_band": AgeBand,
    "nrm_migration_status": MigrationStatus,
    "nrm_guardian": "checkbox",
    "nrm_region": "text",
    "nrm_referral_source": ReferralSource,
    "nrm_form": "form",
    "nrm_recruiter_relationship": RecruiterRelationship,
    "nrm_exploitation_end": "date",
    "nrm_episodes": "episodes",
    "nrm_decision": Decision,
    "nrm_decided_on": "date",
    "nrm_decision_grounds": "text",
    "nrm_closure_reason": ClosureReason,
    "nrm_closed_on": "date",
    "nrm_referrals": "history",
    "nrm_services": "history",
    "nrm_decisions": "history",
    "nrm_best_interests": "history",
}
# The case's history HTCDS has no place for, each column a JSON list of objects with these keys
# in this order: what a key holds ("org": an organisation's code, stable across deployments
# that load the same reference data; "service_type": a service type's code; "free": a free text
# that may name people, exported only to the owner's staff, like notes) and which are required.
# Imported, these are kept as history (exchange.ReceivedRecord), not as live records.
DETERMINATION_ITEM = {
    "organisation": "org",
    "organisation_name": "text",
    "determined_on": "date",
    "review_on": "date",
    "determined_by": "free",
    "decision": "free",
}
HISTORY_ITEMS: dict[str, tuple[str, dict, tuple[str, ...]]] = {
    "nrm_referrals": (
        "referral",
        {
            "kind": ReferralKind,
            "from": "org",
            "from_name": "text",
            "to": "org",
            "to_name": "text",
            "service_type": "service_type",
            "status": ReferralStatus,
            "urgency": Urgency,
            "sent_on": "date",
            "responded_on": "date",
            "without_consent": "bool",
            "legal_ground": LegalGround,
        },
        ("from", "to", "status", "sent_on"),
    ),
    "nrm_services": (
        "service",
        {
            "service_type": "service_type",
            "organisation": "org",
            "organisation_name": "text",
            "status": ServiceStatus,
            "started_on": "date",
            "ended_on": "date",
            "outcome": "free",
        },
        ("service_type", "organisation", "status"),
    ),
    "nrm_decisions": (
        "decision",
        {
            "decision": Decision,
            "decided_on": "date",
            "organisation": "org",
            "organisation_name": "text",
            "grounds": "free",
        },
        ("decision", "decided_on"),
    ),
    "nrm_best_interests": (
        "assessment",
        {
            "organisation": "org",
            "organisation_name": "text",
            "assessed_on": "date",
            "assessed_by": "free",
            "options_weighed": "free",
            "determinations": "determinations",
        },
        ("assessed_on",),
    ),
}
HISTORY_KINDS = {
    "nrm_referrals": ReceivedKind.REFERRAL,
    "nrm_services": ReceivedKind.SERVICE,
    "nrm_decisions": ReceivedKind.DECISION,
    "nrm_best_interests": ReceivedKind.BEST_INTERESTS,
}
EPISODE_KEYS = ("form", "country", "place", "started_on", "ended_on", "recruiter_relationship")
# Service fields -> the column a service error is reported under.
FIELD_COLUMNS = {
    "given_name": "prs_FirstName",
    "family_name": "prs_SecondName",
    "date_of_birth": "prs_Birthdate",
    "birth_year": "prs_Birthdate",
    "sex": "prs_Gender",
    "citizenship": "prs_Citizenship",
    "document_number": "prs_IdentityNumber",
    "forms": "vic_TypeOfExploitation",
    "recruiter_relationship": "vic_RelationshipToTrafficker",
    "opened_on": "cas_IncomingReferralDate",
    "country_of_exploitation": "hte_Country",
    "place_of_exploitation": "hte_City",
    "exploitation_start": "hte_Date",
    "decision": "vic_TraffickingStatus",
    "decided_on": "nrm_decided_on",
    "grounds": "nrm_decision_grounds",
    "reason": "cas_ReasonForCaseClosure",
    "closed_on": "nrm_closed_on",
    "age_band": "nrm_age_band",
    "migration_status": "nrm_migration_status",
    "region": "nrm_region",
    "referral_source": "nrm_referral_source",
    "guardian": "nrm_guardian",
    "exploitation_end": "nrm_exploitation_end",
    "form": "nrm_episodes",
    "country": "nrm_episodes",
    "place": "nrm_episodes",
    "started_on": "nrm_episodes",
    "ended_on": "nrm_episodes",
    "status": "cas_Status",
    "plan_goals": "spl_Objectives",
    "text": "cco_CaseComment",
    "purpose": "con_Consent",
}


def forms_to_htcds(codes: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return (vic_TypeOfExploitation, vic_TypeOfSexExploitation) values for the system's forms."""
    codes = set(codes)
    types = sorted({FORM_TO[c] for c in codes if c in FORM_TO}, key=_order("vic_TypeOfExploitation"))
    sex_types = ["Pornography"] if "pornography" in codes else []
    return types, sex_types


def forms_from_htcds(types: list[str], sex_types: list[str]) -> list[str]:
    """Return the system's forms of exploitation for HTCDS types of (sexual) exploitation."""
    forms = {FORM_FROM[t] for t in types if t in FORM_FROM}
    if "Pornography" in sex_types:
        forms.add("pornography")
    other_sex = [t for t in sex_types if t != "Pornography"]
    if other_sex or ("SexualExploitation" in types and not sex_types):
        forms.add("sexual")
    return sorted(forms)


def _order(field_name: str) -> Callable[[str], int]:
    positions = {v.strip(): i for i, (v, _lab) in enumerate(spec()[1].get(field_name, []))}
    return lambda value: positions.get(value, len(positions))


def _cell(value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _decider(ident: Identification | None) -> str:
    if ident is None:
        return ""
    code = ident.organisation.type.code
    if code in DECIDER_TYPES:
        return DECIDER_TYPES[code]
    return "Other" if code in OTHER_DECIDERS else "NonPoliceGovernmentalOrganization"


def episodes_in_order(case: Case) -> list[Episode]:
    """Return a case's episodes, the first (earliest start, undated last) first; ties in entry order."""
    return sorted(case.episodes.all(), key=lambda e: (e.started_on is None, e.started_on or dt.date.min, e.pk))


def age_when_trafficked(person, start: dt.date | None, *, identity: bool) -> int | None:
    """Return the age in whole years at ``start``: exact from the date of birth (only where identity
    may be seen), else from the birth year, the age reached that year (as the case's age band is)."""
    if start is None:
        return None
    if identity and person.date_of_birth:
        born = dt.date.fromisoformat(person.date_of_birth)
        return start.year - born.year - ((start.month, start.day) < (born.month, born.day))
    if person.birth_year:
        return start.year - person.birth_year
    return None


def _episode_json(episode: Episode, *, place: bool) -> dict:
    return {
        "form": episode.form.code,
        "country": episode.country,
        "place": episode.place if place else "",
        "started_on": episode.started_on.isoformat() if episode.started_on else None,
        "ended_on": episode.ended_on.isoformat() if episode.ended_on else None,
        "recruiter_relationship": episode.recruiter_relationship,
    }


def case_row(case: Case, *, identity: bool, notes: bool) -> dict[str, object]:
    """Return a case as HTCDS values by field name (identity and notes only when allowed).

    Free texts that may name people or places (notes, episodes' places, decisions' grounds) go
    only where notes may be read: to the owner's staff.
    """
    person = case.person
    row: dict[str, object] = {}
    if identity:
        row["prs_FirstName"] = person.given_name
        row["prs_SecondName"] = person.family_name
        row["prs_Birthdate"] = person.date_of_birth
        row["prs_IdentityNumber"] = person.document_number
        contact = person.contact.strip()
        if contact and re.fullmatch(r"[^@\s;]+@[^@\s;]+", contact):
            row["prs_Email"] = contact
        else:
            row["prs_MobilePhone"] = contact
        row["prs_MailingStreet"] = person.address
    row["prs_Gender"] = SEX_TO.get(person.sex, "")
    row["prs_Citizenship"] = [person.citizenship] if person.citizenship else []
    owner = case.owner
    row["org_Name"] = owner.name
    row["org_Type"] = ORG_TYPE_TO.get(owner.type.code, "")
    decisions = [i for i in case.identifications.all() if i.decision == case.identification_status]
    decision = decisions[-1] if decisions else None
    row["vic_TraffickingStatus"] = STATUS_TO.get(case.identification_status, "PossibleVictimOfTrafficking")
    if case.identification_status in STATUS_TO:
        row["vic_TraffickingStatusDecisionMakingOrg"] = _decider(decision)
    # The episodes are the source of the forms; HTCDS has one relationship per victim: the
    # first episode's that HTCDS can say.
    episodes = episodes_in_order(case)
    first = episodes[0] if episodes else None
    types, sex_types = forms_to_htcds(e.form.code for e in episodes)
    row["vic_TypeOfExploitation"] = types
    row["vic_TypeOfSexExploitation"] = sex_types
    relations = [RELATION_TO[e.recruiter_relationship] for e in episodes if e.recruiter_relationship in RELATION_TO]
    row["vic_RelationshipToTrafficker"] = relations[0] if relations else ""
    # HTCDS has one event per row: the first episode's, else what the case says.
    country = (first.country if first else "") or case.country_of_exploitation
    place = (first.place if first and notes else "") or case.place_of_exploitation
    start = (first.started_on if first else None) or case.exploitation_start
    end = (first.ended_on if first else None) or case.exploitation_end
    row["vic_AgeWhenTrafficked"] = age_when_trafficked(person, start, identity=identity)
    if country or place or start:
        row["hte_Type"] = "Exploitation"
        row["hte_Country"] = country
        row["hte_City"] = place
        row["hte_Date"] = start
    if case.status == CaseStatus.CLOSED:
        transferred = case.closure_reason == ClosureReason.TRANSFERRED
        row["cas_Status"] = "ClosedReferred" if transferred else "Closed"
        reason = CLOSURE_TO.get(case.closure_reason, case.closure_reason)
        row["cas_ReasonForCaseClosure"] = reason + (f": {case.closure_note}" if case.closure_note else "")
    else:
        row["cas_Status"] = "Active"
    # An organisation as the source is the owner, which took the person in; anyone else in words.
    if case.referral_source == ReferralSource.ORGANISATION:
        row["cas_ReferringOrganisation"] = owner.name
    else:
        row["cas_ReferringOrganisation"] = REFERRAL_SOURCE_TO.get(case.referral_source, "")
    row["cas_IncomingReferralDate"] = case.opened_on
    row["spl_Objectives"] = case.plan_goals
    row["con_Consent"] = any(
        c.purpose == ConsentPurpose.STATISTICS and c.withdrawn_on is None for c in case.consents.all()
    )
    if notes:
        row["cco_CaseComment"] = "\n\n".join(n.text for n in case.notes.all())
    # NRM's extensions: what HTCDS cannot say.
    row["nrm_birth_year"] = person.birth_year
    row["nrm_age_band"] = person.age_band
    row["nrm_migration_status"] = person.migration_status
    row["nrm_guardian"] = any(g.ended_on is None for g in case.guardians.all())
    row["nrm_region"] = case.region
    row["nrm_referral_source"] = case.referral_source
    if first is not None:
        row["nrm_form"] = first.form.code
        row["nrm_recruiter_relationship"] = first.recruiter_relationship
    row["nrm_exploitation_end"] = end
    if len(episodes) > 1:
        row["nrm_episodes"] = json.dumps(
            [_episode_json(e, place=notes) for e in episodes[1:]], ensure_ascii=False, separators=(",", ":")
        )
    latest = None
    if decision is not None and case.identification_status != Decision.PENDING:
        latest = decision
        row["nrm_decision"] = decision.decision
        row["nrm_decided_on"] = decision.decided_on
        if notes:
            row["nrm_decision_grounds"] = decision.grounds
    if case.status == CaseStatus.CLOSED:
        row["nrm_closure_reason"] = case.closure_reason
        row["nrm_closed_on"] = case.closed_on
    history = case_history(case, latest=latest)
    for column, items in history.items():
        if items:
            spec_ = HISTORY_ITEMS[column][1]
            row[column] = json.dumps(
                [_history_gate(i, spec_, notes=notes) for i in items], ensure_ascii=False, separators=(",", ":")
            )
    return row


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def case_history(case: Case, *, latest: Identification | None) -> dict[str, list[dict]]:
    """Return the history columns' items of a case: what was received from another deployment
    first (it happened before), then the case's own referrals, services, decisions other than
    ``latest`` (which ``nrm_decision`` carries) and best-interests assessments, oldest first.

    Reads the relations loaded with the case (``received_records``, ``referrals``, ``services``,
    ``identifications``, ``best_interests_assessments`` with their determinations).
    """
    out: dict[str, list[dict]] = {column: [] for column in HISTORY_ITEMS}
    kinds = {kind: column for column, kind in HISTORY_KINDS.items()}
    for record in sorted(case.received_records.all(), key=lambda r: (r.kind, r.position)):
        out[kinds[record.kind]].append(json.loads(record.data))
    for r in sorted(case.referrals.all(), key=lambda r: (r.sent_on, r.pk)):
        out["nrm_referrals"].append(
            {
                "kind": r.kind,
                "from": r.from_org.code,
                "from_name": r.from_org.name,
                "to": r.to_org.code,
                "to_name": r.to_org.name,
                "service_type": r.service_type.code if r.service_type else "",
                "status": r.status,
                "urgency": r.urgency,
                "sent_on": _iso(r.sent_on),
                "responded_on": _iso(r.responded_on),
                "without_consent": r.without_consent,
                "legal_ground": r.legal_ground,
            }
        )
    for s in sorted(case.services.all(), key=lambda s: s.pk):
        out["nrm_services"].append(
            {
                "service_type": s.service_type.code,
                "organisation": s.organisation.code,
                "organisation_name": s.organisation.name,
                "status": s.status,
                "started_on": _iso(s.started_on),
                "ended_on": _iso(s.ended_on),
                "outcome": s.outcome,
            }
        )
    for i in case.identifications.all():
        if latest is None or i.pk != latest.pk:
            out["nrm_decisions"].append(
                {
                    "decision": i.decision,
                    "decided_on": _iso(i.decided_on),
                    "organisation": i.organisation.code,
                    "organisation_name": i.organisation.name,
                    "grounds": i.grounds,
                }
            )
    for a in sorted(case.best_interests_assessments.all(), key=lambda a: (a.assessed_on, a.pk)):
        out["nrm_best_interests"].append(
            {
                "organisation": a.organisation.code,
                "organisation_name": a.organisation.name,
                "assessed_on": _iso(a.assessed_on),
                "assessed_by": a.assessed_by,
                "options_weighed": a.options_weighed,
                "determinations": [
                    {
                        "organisation": d.organisation.code,
                        "organisation_name": d.organisation.name,
                        "determined_on": _iso(d.determined_on),
                        "review_on": _iso(d.review_on),
                        "determined_by": d.determined_by,
                        "decision": d.decision,
                    }
                    for d in sorted(a.determinations.all(), key=lambda d: (d.determined_on, d.pk))
                ],
            }
        )
    return out


# --- Export ----------------------------------------------------------------------------------


@dataclass
class ExportResult:
    rows: int
    with_identity: int


def htcds_export(
    *, actor: User | None, path: str | Path, progress: Callable[[int, int], None] | None = None
) -> ExportResult:
    """Write the cases ``actor`` may see as an HTCDS v2.0 file (CSV or XLSX from the extension).

    Only cases statistics may use are written (by default those with the consent "use in
    statistics", see :func:`nrm.cases.selectors.cases_usable_for_statistics`). Identity columns
    are filled only for cases whose identity the actor may see, case comments only for the
    owner's staff; every exported case is recorded in the audit log. With no actor (the server's
    command line) every such case is exported, pseudonymised: no identity, no comments.
    """
    # A record-level export is statistics' raw material: a case without the consent "use in
    # statistics" stays out (unless the law is the basis, NRM_STATISTICS_BASIS).
    from nrm.children.models import BestInterestsAssessment, BestInterestsDetermination
    from nrm.referrals.choices import ACTIVE_STATES
    from nrm.referrals.models import Referral

    def related(lookup: str, queryset) -> Prefetch:
        # The case's records pass the same rule as in the case's page (the command line: all).
        return restricted_prefetch(lookup, queryset, actor) if actor is not None else Prefetch(lookup, queryset)

    usable = cases_usable_for_statistics()
    cases = (
        (restrict(usable, actor, Action.VIEW) if actor is not None else unrestricted(usable, "htcds export"))
        .select_related("person", "owner__type")
        .prefetch_related(
            Prefetch("episodes", Episode.objects.select_related("form")),
            "guardians",
            "consents",
            "notes",
            Prefetch("identifications", Identification.objects.select_related("organisation__type")),
            related("referrals", Referral.objects.select_related("from_org", "to_org", "service_type")),
            related("services", ServiceDelivery.objects.select_related("organisation", "service_type")),
            related("best_interests_assessments", BestInterestsAssessment.objects.select_related("organisation")),
            related(
                "best_interests_assessments__determinations",
                BestInterestsDetermination.objects.select_related("organisation"),
            ),
            related("received_records", ReceivedRecord.objects.all()),
        )
        .order_by("pk")
    )

    identity_orgs = set(identity_organisations(actor)) if actor is not None else set()
    staff_orgs = set(case_staff_organisations(actor)) if actor is not None else set()
    shared = set(
        Referral.objects.filter(to_org__in=identity_orgs, status__in=ACTIVE_STATES, shares_identity=True).values_list(
            "case_id", flat=True
        )
    )
    columns = export_columns()
    total = cases.count()
    stats = ExportResult(rows=0, with_identity=0)
    pending: list[int] = []

    def flush() -> None:
        if pending:
            audit_record(
                actor=actor if actor is not None else "command line",
                action="case.export",
                object_type="case",
                object_id=pending[0],
                reason="HTCDS export",
                detail={"format": "htcds", "file": Path(path).name, "cases": list(pending)},
            )
            pending.clear()

    def rows():
        for case in cases.iterator(chunk_size=500):
            identity = case.owner_id in identity_orgs or case.pk in shared
            values = case_row(case, identity=identity, notes=case.owner_id in staff_orgs)
            stats.rows += 1
            stats.with_identity += identity
            pending.append(case.pk)
            if len(pending) >= AUDIT_CHUNK:
                flush()
            if progress and stats.rows % 500 == 0:
                progress(stats.rows, total)
            yield [_cell(values.get(c)) for c in columns]

    # The audit rows and the file are written together: if the audit fails, so does the export.
    with transaction.atomic():
        write_table(path, columns, rows(), sheet="HTCDS")
        flush()
    return stats


# --- Import ----------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    values: dict[str, object]


@dataclass
class HtcdsImportResult:
    cases: list[Case]
    warnings: list[str] = field(default_factory=list)


def import_organisation(actor: User, code: str | None) -> Organisation:
    """Return the organisation the import creates cases in: ``code``, or the actor's only one."""
    allowed = owner_organisations(actor, Action.MANAGE)
    if code:
        org = Organisation.objects.filter(code=code, pk__in=allowed).first()
        if org is None:
            raise ImportFailed(f"{actor.username} cannot import cases for the organisation “{code}”")
        return org
    if len(allowed) == 1:
        return Organisation.objects.get(pk=allowed[0])
    if not allowed:
        raise ImportFailed(f"{actor.username} manages no organisation's cases, so cannot import cases")
    raise ImportFailed(f"{actor.username} works for several organisations; choose one with --organisation")


def _resolve_header(header: list[str], second: list[str] | None) -> tuple[dict[int, str], list[str], bool]:
    """Return column positions -> field names, the unknown headers, and whether ``second`` is a label row."""
    index = _header_index()
    fields = spec()[0]
    columns: dict[int, str] = {}
    unknown: list[str] = []
    is_labels = False
    if second is not None:
        # The template's second row holds labels (in an order that does not always follow the
        # names above them): it is a label row when nearly all of its cells are known labels.
        filled = [v for v in second if v.strip()]
        known_labels = {_header_key(f.label) for f in fields.values()}
        hits = sum(_header_key(v) in known_labels for v in filled)
        is_labels = hits >= 2 and hits >= 0.8 * len(filled)
    for position, name in enumerate(header):
        if not name.strip() and is_labels and position < len(second):
            name = second[position]  # the template leaves one name out but keeps its label
        key = _header_key(name)
        if not key:
            continue
        target = index.get(key)
        if target is None:
            unknown.append(name.strip())
        elif target in columns.values():
            raise ImportFailed(f"column {target} appears twice in the header")
        else:
            columns[position] = target
    return columns, unknown, is_labels


def read_htcds(path: str | Path) -> tuple[list[ParsedRow], list[str]]:
    """Read and check an HTCDS file; return its rows as field values, and the warnings.

    Raise :class:`ImportFailed` with every problem (row, column, message) if any cell is invalid.
    """
    try:
        table = read_table(path)
    except TableError as exc:
        raise ImportFailed(str(exc)) from None
    try:
        rows = list(table.rows)
    except TableError as exc:
        raise ImportFailed(str(exc)) from None
    finally:
        table.close()
    columns, unknown, labels_row = _resolve_header(table.header, rows[0][1] if rows else None)
    if labels_row:
        rows = rows[1:]
    if not columns:
        raise ImportFailed(f"{Path(path).name}: none of the columns is an HTCDS v2.0 field")
    warnings = [f"unknown column “{name}” ignored" for name in unknown]
    fields = spec()[0]
    errors: list[RowError] = []
    parsed: list[ParsedRow] = []
    unused: dict[str, int] = {}
    for number, cells in rows:
        filled = {pos: cells[pos] for pos in columns if pos < len(cells) and cells[pos].strip()}
        if not filled:
            continue  # the template's numbered empty rows are not records
        values: dict[str, object] = {}
        for pos, text in filled.items():
            name = columns[pos]
            try:
                values[name] = parse_cell(name, text)
            except Invalid as exc:
                errors.append(RowError(number, name, str(exc)))
                continue
            if name not in STORED and name not in EXTENSIONS:
                unused[name] = unused.get(name, 0) + 1
        parsed.append(ParsedRow(number, values))
    for name, count in sorted(unused.items()):
        status = " (deprecated)" if fields[name].status == "DEPRECATED" else ""
        warnings.append(f"column {name}{status}: not kept by NRM ({count} row(s) had a value)")
    if errors:
        raise ImportFailed(f"{len(errors)} error(s) in {Path(path).name}; nothing was imported", errors=errors)
    return parsed, warnings


def _row_plan(row: ParsedRow, warnings: list[str]) -> dict:
    """Return what the services are asked to record for one row."""
    v = row.values
    contact = "; ".join(str(v[k]) for k in ("prs_MobilePhone", "prs_HomePhone", "prs_Email") if v.get(k))
    address = ", ".join(
        str(v[k])
        for k in ("prs_MailingStreet", "prs_MailingPostalCode", "prs_MailingCity", "prs_MailingState")
        if v.get(k)
    )
    if v.get("prs_MailingCountry"):
        address = ", ".join(p for p in (address, countries.name(v["prs_MailingCountry"])) if p)
    citizenship = v.get("prs_Citizenship") or []
    if len(citizenship) > 1:
        warnings.append(f"row {row.number}: prs_Citizenship has {len(citizenship)} countries; NRM keeps the first")
    birthdate = v.get("prs_Birthdate")
    plan = {
        "open": {
            "identity": {
                "given_name": v.get("prs_FirstName", ""),
                "family_name": v.get("prs_SecondName", ""),
                "date_of_birth": birthdate.isoformat() if birthdate else "",
                "document_number": v.get("prs_IdentityNumber", ""),
                "contact": contact,
                "address": address,
            },
            "sex": SEX_FROM.get(v.get("prs_Gender", ""), Sex.UNKNOWN),
            "citizenship": citizenship[0] if citizenship else "",
            "forms": forms_from_htcds(v.get("vic_TypeOfExploitation", []), v.get("vic_TypeOfSexExploitation", [])),
            "opened_on": v.get("cas_IncomingReferralDate") or timezone.localdate(),
            "referral_source": _referral_source(v),
        },
        "update": {},
        "decision": v.get("nrm_decision") or STATUS_FROM.get(v.get("vic_TraffickingStatus", ""), Decision.PENDING),
        "decided_on": v.get("nrm_decided_on"),
        "grounds": v.get("nrm_decision_grounds", ""),
        "consent": v.get("con_Consent") is True,
        "note": v.get("cco_CaseComment", ""),
        "close": None,
        "recruiter_relationship": RELATION_FROM.get(v.get("vic_RelationshipToTrafficker", ""), "unknown"),
        "episodes": None,
    }
    opening = plan["open"]
    for column, name in (("nrm_age_band", "age_band"), ("nrm_migration_status", "migration_status")):
        if v.get(column):
            opening[name] = v[column]
    if v.get("nrm_region"):
        opening["region"] = v["nrm_region"]
    if v.get("nrm_guardian") is True:
        opening["guardian"] = GUARDIAN_PLACEHOLDER
    if v.get("nrm_birth_year"):
        opening["birth_year"] = v["nrm_birth_year"]
    elif not birthdate and v.get("vic_AgeWhenTrafficked") is not None and v.get("hte_Date"):
        # The export's age is the one reached in the year of the event: the same birth year back.
        opening["birth_year"] = v["hte_Date"].year - int(v["vic_AgeWhenTrafficked"])
    place = any(v.get(k) for k in ("hte_Country", "hte_City", "hte_Date"))
    exploitation = v.get("hte_Type") == "Exploitation"
    if place and exploitation:
        opening["country_of_exploitation"] = v.get("hte_Country", "")
        opening["place_of_exploitation"] = v.get("hte_City", "")
        if v.get("hte_Date"):
            plan["update"]["exploitation_start"] = v["hte_Date"]
    elif place:
        warnings.append(
            f"row {row.number}: hte_* describe a {v.get('hte_Type') or 'untyped'} event; NRM keeps exploitation"
        )
    if v.get("nrm_exploitation_end"):
        plan["update"]["exploitation_end"] = v["nrm_exploitation_end"]
    if v.get("nrm_form"):
        # NRM's own episodes: the first from the HTCDS event and nrm_form, then nrm_episodes.
        first = {
            "form": v["nrm_form"],
            "country": v.get("hte_Country", "") if exploitation else "",
            "place": v.get("hte_City", "") if exploitation else "",
            "started_on": v.get("hte_Date") if exploitation else None,
            "ended_on": v.get("nrm_exploitation_end"),
            "recruiter_relationship": v.get("nrm_recruiter_relationship") or plan["recruiter_relationship"],
        }
        # The case's forms are then the episodes' (cases_open_bulk), not HTCDS's coarser types.
        plan["episodes"] = [first, *v.get("nrm_episodes", [])]
    elif v.get("nrm_episodes"):
        warnings.append(f"row {row.number}: nrm_episodes ignored without nrm_form (the first episode's form)")
    if v.get("spl_Objectives"):
        plan["update"]["plan_goals"] = v["spl_Objectives"]
    status = v.get("cas_Status", "Active")
    if status in ("Closed", "ClosedReferred"):
        text = v.get("cas_ReasonForCaseClosure", "")
        reason, note = _closure(text, v.get("nrm_closure_reason"), status)
        plan["close"] = {"reason": reason, "note": note}
        if v.get("nrm_closed_on"):
            plan["close"]["closed_on"] = v["nrm_closed_on"]
    elif v.get("cas_ReasonForCaseClosure"):
        warnings.append(f"row {row.number}: cas_ReasonForCaseClosure ignored, the case is {status}")
    return plan


def _referral_source(v: dict) -> str:
    """Return who brought the person: nrm_referral_source, else cas_ReferringOrganisation read as a
    source in words (an organisation's name means the importing organisation took the person in)."""
    if v.get("nrm_referral_source"):
        return v["nrm_referral_source"]
    words = {_norm(text): code for code, text in REFERRAL_SOURCE_TO.items() if code != ReferralSource.OTHER}
    return words.get(_norm(v.get("cas_ReferringOrganisation", "")), ReferralSource.ORGANISATION)


def _closure(text: str, code: str | None, status: str) -> tuple[str, str]:
    """Return (closure reason, note) from cas_ReasonForCaseClosure (``Reason: note``, the reason as
    NRM's code or its English name) and nrm_closure_reason, which wins when present."""
    names = {_norm(name): reason for reason, name in CLOSURE_TO.items()}
    names |= {_norm(reason): reason for reason in ClosureReason.values}
    found, note = None, text.strip()
    # The longest name that starts the text, so "Other" never cuts a longer name short.
    for key in sorted(names, key=len, reverse=True):
        head = _norm(text[: len(key)])
        rest = text[len(key) :]
        if head == key and (not rest.strip() or rest.lstrip().startswith(":")):
            found, note = names[key], rest.strip().removeprefix(":").strip()
            break
    if code:
        return code, note if found else text.strip()
    if found:
        return found, note
    return (ClosureReason.TRANSFERRED if status == "ClosedReferred" else ClosureReason.OTHER), text.strip()


def _service_errors(number: int, exc: Exception) -> list[RowError]:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [
            RowError(number, FIELD_COLUMNS.get(name, name), "; ".join(messages))
            for name, messages in exc.message_dict.items()
        ]
    if isinstance(exc, NotFound):
        return [RowError(number, "vic_TraffickingStatus", "you may not record this for the case")]
    if isinstance(exc, Conflict):
        return [RowError(number, FIELD_COLUMNS.get(exc.field, exc.field), exc.message)]
    return [RowError(number, "(row)", "; ".join(getattr(exc, "messages", [str(exc)])))]


def _draft(row: ParsedRow, plan: dict, file_name: str) -> case_services.CaseDraft:
    """Return what the case services record for one row (see :func:`_row_plan`)."""
    return case_services.CaseDraft(
        open=plan["open"],
        update=plan["update"],
        consents=[ConsentPurpose.STATISTICS] if plan["consent"] else [],
        decision=plan["decision"],
        grounds=plan["grounds"] or f"Recorded from the HTCDS file {file_name}, row {row.number}.",
        decided_on=plan["decided_on"],
        note=plan["note"],
        close=plan["close"],
        recruiter_relationship=plan["recruiter_relationship"],
        episodes=plan["episodes"],
    )


def _unknown_codes(rows: list[ParsedRow]) -> list[str]:
    """Return a warning for every organisation or service type the history columns name that this
    deployment does not know: the item is kept as the file gave it (code and name), and said so."""
    from nrm.referrals.models import ServiceType

    named = [
        (row.number, column, what, code, name)
        for row in rows
        for column, (_noun, spec_, _req) in HISTORY_ITEMS.items()
        for what, code, name in _history_codes(row.values.get(column) or [], spec_)
    ]
    orgs = {c for _n, _c, what, c, _name in named if what == "organisation"}
    types = {c for _n, _c, what, c, _name in named if what == "service type"}
    known = {
        "organisation": set(Organisation.objects.filter(code__in=orgs).values_list("code", flat=True)),
        "service type": set(ServiceType.objects.filter(code__in=types).values_list("code", flat=True)),
    }
    out = []
    for number, column, what, code, name in dict.fromkeys(named):
        if code not in known[what]:
            label = f"“{code}”" + (f" ({name})" if name else "")
            out.append(f"row {number}, column {column}: {what} {label} is not known here; kept as text")
    return out


def htcds_import(
    *,
    actor: User,
    path: str | Path,
    organisation: Organisation,
    progress: Callable[[int, int], None] | None = None,
) -> HtcdsImportResult:
    """Import an HTCDS file as cases of ``organisation``, all or nothing.

    Every row is checked by the case services' own checks, then all are written at once
    through their bulk path (:func:`nrm.cases.services.cases_open_bulk`: encrypted, checked,
    linked, one audit row per case), in one transaction with this import's own audit row.
    Raise :class:`ImportFailed` listing every problem by row and column; then nothing is stored.
    """
    if organisation.pk not in owner_organisations(actor, Action.MANAGE):
        raise ImportFailed(f"{actor.username} cannot import cases for {organisation.code}")
    rows, warnings = read_htcds(path)
    file_name = Path(path).name
    drafts = [_draft(row, _row_plan(row, warnings), file_name) for row in rows]
    warnings += _unknown_codes(rows)
    with transaction.atomic():
        try:
            created = case_services.cases_open_bulk(
                actor=actor, organisation=organisation, drafts=drafts, source=f"htcds:{file_name}", progress=progress
            )
        except case_services.DraftsInvalid as exc:
            errors = [e for i, error in sorted(exc.errors.items()) for e in _service_errors(rows[i].number, error)]
            raise ImportFailed(f"{len(errors)} error(s) in {file_name}; nothing was imported", errors=errors) from None
        received = [
            ReceivedRecord(
                case=case,
                kind=kind,
                position=position,
                data=json.dumps(item, ensure_ascii=False, separators=(",", ":")),
                source=file_name[:255],
            )
            for row, case in zip(rows, created, strict=True)
            for column, kind in HISTORY_KINDS.items()
            for position, item in enumerate(row.values.get(column) or [])
        ]
        insert_many(received)
        audit_record(
            actor=actor,
            action="exchange.htcds_import",
            object_type="organisation",
            object_id=organisation.pk,
            organisation_id=organisation.pk,
            detail={"file": file_name, "cases": [c.pk for c in created], "history_records": len(received)},
        )
    return HtcdsImportResult(cases=created, warnings=warnings)
