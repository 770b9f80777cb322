"""API for criminal proceedings, victims' parts and justice statistics; writes go through ``nrm.justice.services``.

- ``justice/proceedings/``: the proceedings of the caller's justice organisations (police,
  prosecution, courts), with defendants, charges, verdicts and victims. Anyone else: empty list, 404.
- ``justice/victims/``: victims' parts of proceedings, for whoever may see the victim's case
  (an NGO holding the case sees its part and the proceeding's summary, never a defendant).
- ``justice/statistics/``: the statistics engine's justice tables, national and with disclosure
  control, for the Coordinator's office, analysts and justice staff.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action, JusticeAction, get_or_deny, justice_organisations, restrict
from nrm.accounts.models import Organisation
from nrm.api.acting import acting_organisation
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer
from nrm.cases.choices import Sex
from nrm.cases.models import Case
from nrm.core.params import year_param
from nrm.justice import selectors, services
from nrm.justice.choices import AssetKind, Instance, Outcome, Stage, VictimRole
from nrm.justice.models import (
    Charge,
    Defendant,
    Offence,
    Proceeding,
    ProceedingAsset,
    ProceedingVictim,
    ProtectionMeasure,
    Verdict,
)

# --- Serializers -----------------------------------------------------------------------------


class ProceedingListSerializer(ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    forms = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)
    defendant_count = serializers.IntegerField(read_only=True)
    victim_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Proceeding
        fields = [
            "id",
            "reference",
            "owner",
            "owner_name",
            "stage",
            "court",
            "forms",
            "investigation_on",
            "charged_on",
            "indicted_on",
            "first_verdict_on",
            "final_verdict_on",
            "defendant_count",
            "victim_count",
            "version",
        ]
        read_only_fields = fields


class VerdictSerializer(ModelSerializer):
    class Meta:
        model = Verdict
        fields = [
            "id",
            "charge",
            "instance",
            "outcome",
            "decided_on",
            "prison_months",
            "suspended",
            "fine_amount",
            "fine_currency",
        ]
        read_only_fields = fields


class ChargeSerializer(ModelSerializer):
    offence = serializers.CharField(source="offence.code", read_only=True)
    article = serializers.CharField(source="offence.article", read_only=True)
    verdicts = VerdictSerializer(many=True, read_only=True)

    class Meta:
        model = Charge
        fields = ["id", "defendant", "offence", "article", "verdicts"]
        read_only_fields = fields


class DefendantSerializer(ModelSerializer):
    """A defendant with identity: only ever built for a justice organisation of the proceeding."""

    charges = ChargeSerializer(many=True, read_only=True)

    class Meta:
        model = Defendant
        fields = ["id", "number", "name", "identity_details", "sex", "birth_year", "citizenship", "charges"]
        read_only_fields = fields


class AssetSerializer(ModelSerializer):
    class Meta:
        model = ProceedingAsset
        fields = ["id", "proceeding", "kind", "amount", "currency", "decided_on"]
        read_only_fields = fields


class VictimSerializer(ModelSerializer):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    protection_measures = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)

    class Meta:
        model = ProceedingVictim
        fields = [
            "id",
            "proceeding",
            "case",
            "case_reference",
            "role",
            "protection_measures",
            *ProceedingVictim.COMPENSATION_FIELDS,
            "version",
        ]
        read_only_fields = fields


class ProceedingSummarySerializer(ModelSerializer):
    """What a victim's side may know of the proceeding: no notes, nothing about defendants."""

    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Proceeding
        fields = [
            "id",
            "reference",
            "owner_name",
            "stage",
            "court",
            "investigation_on",
            "charged_on",
            "indicted_on",
            "first_verdict_on",
            "final_verdict_on",
        ]
        read_only_fields = fields


class VictimPartSerializer(VictimSerializer):
    proceeding = ProceedingSummarySerializer(read_only=True)

    class Meta(VictimSerializer.Meta):
        pass


def proceeding_detail(view: selectors.ProceedingView) -> dict:
    """Return the whole proceeding for one of its justice organisations."""
    p = view.proceeding
    p.defendant_count, p.victim_count = len(p.defendants.all()), len(p.victims.all())
    data = ProceedingListSerializer(p).data
    data.update(
        {
            "notes": p.notes,
            "shares": [
                {"organisation": s.organisation_id, "organisation_name": s.organisation.name, "shared_on": s.shared_on}
                for s in p.shares.all()
            ],
            "defendants": DefendantSerializer(p.defendants.all(), many=True).data,
            "assets": AssetSerializer(p.assets.all(), many=True).data,
            "victims": VictimSerializer(p.victims.all(), many=True).data,
            "can_edit": view.can_edit,
            "is_owner": view.is_owner,
        }
    )
    return data


def victim_part_detail(view: selectors.VictimPartView) -> dict:
    data = VictimPartSerializer(view.part).data
    data["offences"] = [{"code": o.code, "article": o.article, "name": o.name} for o in view.offences]
    data["verdicts"] = view.verdicts
    data["can_edit"] = view.can_edit
    return data


class ProceedingCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False)
    reference = serializers.CharField(max_length=60)
    investigation_on = serializers.DateField(required=False)
    court = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    forms = serializers.ListField(child=serializers.CharField(), required=False)
    cases = serializers.ListField(child=serializers.IntegerField(), default=list)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ProceedingUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    reference = serializers.CharField(required=False, max_length=60)
    court = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)
    forms = serializers.ListField(child=serializers.CharField(), required=False)


class AdvanceSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    stage = serializers.ChoiceField(Stage.choices)
    on = serializers.DateField(required=False)


class ShareSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    shared_on = serializers.DateField(required=False)


class DefendantCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    identity_details = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    sex = serializers.ChoiceField(Sex.choices, default=Sex.UNKNOWN)
    birth_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    citizenship = serializers.CharField(required=False, allow_blank=True, default="")
    offences = serializers.ListField(child=serializers.CharField(), default=list)


class ChargeCreateSerializer(serializers.Serializer):
    defendant = serializers.IntegerField()
    offence = serializers.CharField()


class VerdictCreateSerializer(serializers.Serializer):
    charge = serializers.IntegerField()
    instance = serializers.ChoiceField(Instance.choices)
    outcome = serializers.ChoiceField(Outcome.choices)
    decided_on = serializers.DateField(required=False)
    prison_months = serializers.IntegerField(required=False, allow_null=True)
    suspended = serializers.BooleanField(default=False)
    fine_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    fine_currency = serializers.CharField(required=False, allow_blank=True, default="")


class AssetCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(AssetKind.choices)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    decided_on = serializers.DateField(required=False)


class VictimLinkSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    role = serializers.ChoiceField(VictimRole.choices, default=VictimRole.BOTH)
    protection_measures = serializers.ListField(child=serializers.CharField(), default=list)


class VictimUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    role = serializers.ChoiceField(VictimRole.choices, required=False)
    protection_measures = serializers.ListField(child=serializers.CharField(), required=False)
    compensation_currency = serializers.CharField(required=False, allow_blank=True)
    compensation_claimed = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    claimed_on = serializers.DateField(required=False, allow_null=True)
    compensation_awarded = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    awarded_on = serializers.DateField(required=False, allow_null=True)
    compensation_paid = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    paid_on = serializers.DateField(required=False, allow_null=True)


# --- Proceedings -----------------------------------------------------------------------------


class ProceedingViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
    """Proceedings of the caller's justice organisations (``?stage=``, ``?year=``, ``?form=``, ``?q=``).

    Reading one shows its defendants' identity and is audited; anyone else gets a 404.
    """

    serializer_class = ProceedingListSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        p = self.request.query_params
        return selectors.proceeding_list(
            self.request.user,
            stage=p.get("stage", ""),
            year=p.get("year", ""),
            form=p.get("form", ""),
            q=p.get("q", ""),
        )

    def _proceeding(self, pk, action_: JusticeAction = JusticeAction.EDIT) -> Proceeding:
        return get_or_deny(
            Proceeding.objects.select_related("owner", "owner__type"),
            self.request.user,
            action_,
            object_type="proceeding",
            audit_action=f"proceeding.{action_}",
            audit_reason="api",
            pk=pk,
        )

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProceedingListSerializer(page, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, pk=None) -> Response:
        reason = request.query_params.get("reason", "api")
        return Response(proceeding_detail(selectors.proceeding_get(request.user, int(pk), reason=reason)))

    @extend_schema(request=ProceedingCreateSerializer, responses=ProceedingListSerializer)
    def create(self, request: Request) -> Response:
        s = ProceedingCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        org = acting_organisation(
            request.user,
            data.pop("organisation", None),
            justice_organisations(request.user, JusticeAction.EDIT),
            refuse="You cannot open proceedings for this organisation.",
        )
        wanted = set(data.pop("cases"))
        cases = list(restrict(Case.objects.all(), request.user, Action.VIEW, one=True).filter(pk__in=wanted))
        if len(cases) != len(wanted):
            raise serializers.ValidationError({"cases": ["No such case."]})
        proceeding = services.proceeding_open(actor=request.user, organisation=org, cases=cases, **data)
        proceeding = selectors.proceeding_list(request.user).get(pk=proceeding.pk)
        return Response(ProceedingListSerializer(proceeding).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProceedingUpdateSerializer, responses=ProceedingListSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = ProceedingUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        services.proceeding_update(
            actor=request.user, proceeding=proceeding, expected_version=data.pop("version"), **data
        )
        return Response(ProceedingListSerializer(selectors.proceeding_list(request.user).get(pk=pk)).data)

    @extend_schema(request=AdvanceSerializer, responses=ProceedingListSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = AdvanceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        services.proceeding_advance(
            actor=request.user, proceeding=proceeding, expected_version=data.pop("version"), **data
        )
        return Response(ProceedingListSerializer(selectors.proceeding_list(request.user).get(pk=pk)).data)

    @extend_schema(request=ShareSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk, JusticeAction.SHARE)
        s = ShareSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        org = Organisation.objects.select_related("type").filter(pk=s.validated_data["organisation"]).first()
        if org is None:
            raise serializers.ValidationError({"organisation": ["No such organisation."]})
        share = services.proceeding_share(
            actor=request.user, proceeding=proceeding, organisation=org, shared_on=s.validated_data.get("shared_on")
        )
        return Response(
            {"proceeding": proceeding.pk, "organisation": org.pk, "shared_on": share.shared_on},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=DefendantCreateSerializer, responses={201: DefendantSerializer})
    @action(detail=True, methods=["post"])
    def defendants(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = DefendantCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        defendant = services.defendant_add(actor=request.user, proceeding=proceeding, **s.validated_data)
        defendant = Defendant.objects.prefetch_related("charges__offence", "charges__verdicts").get(pk=defendant.pk)
        return Response(DefendantSerializer(defendant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ChargeCreateSerializer, responses={201: ChargeSerializer})
    @action(detail=True, methods=["post"])
    def charges(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = ChargeCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        defendant = Defendant.objects.filter(pk=s.validated_data["defendant"], proceeding=proceeding).first()
        if defendant is None:
            raise serializers.ValidationError({"defendant": ["No such defendant in this proceeding."]})
        charge = services.charge_add(actor=request.user, defendant=defendant, offence=s.validated_data["offence"])
        return Response(ChargeSerializer(charge).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VerdictCreateSerializer, responses={201: VerdictSerializer})
    @action(detail=True, methods=["post"])
    def verdicts(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = VerdictCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        charge = (
            Charge.objects.select_related("defendant__proceeding")
            .filter(pk=data.pop("charge"), defendant__proceeding=proceeding)
            .first()
        )
        if charge is None:
            raise serializers.ValidationError({"charge": ["No such charge in this proceeding."]})
        verdict = services.verdict_record(actor=request.user, charge=charge, **data)
        return Response(VerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssetCreateSerializer, responses={201: AssetSerializer})
    @action(detail=True, methods=["post"])
    def assets(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = AssetCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        asset = services.asset_record(actor=request.user, proceeding=proceeding, **s.validated_data)
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VictimLinkSerializer, responses={201: VictimSerializer})
    @action(detail=True, methods=["post"])
    def victims(self, request: Request, pk=None) -> Response:
        proceeding = self._proceeding(pk)
        s = VictimLinkSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        case = restrict(Case.objects.all(), request.user, Action.VIEW, one=True).filter(pk=data.pop("case")).first()
        if case is None:
            raise serializers.ValidationError({"case": ["No such case."]})
        part = services.victim_link(actor=request.user, proceeding=proceeding, case=case, **data)
        return Response(VictimSerializer(part).data, status=status.HTTP_201_CREATED)


# --- Victims' parts --------------------------------------------------------------------------


class VictimPartViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Victims' parts of proceedings the caller may see (``?case=``): by the justice or the case rule.

    Reading one is audited. Only the proceeding's justice organisations may change one.
    """

    serializer_class = VictimPartSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        case = self.request.query_params.get("case", "")
        return selectors.victim_part_list(self.request.user, case=int(case) if case.isdigit() else None)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request: Request, pk=None) -> Response:
        reason = request.query_params.get("reason", "api")
        return Response(victim_part_detail(selectors.victim_part_get(request.user, int(pk), reason=reason)))

    @extend_schema(request=VictimUpdateSerializer, responses=VictimSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        part = get_or_deny(
            ProceedingVictim.objects.select_related("proceeding", "case"),
            request.user,
            JusticeAction.EDIT,
            object_type="proceeding_victim",
            audit_action="proceeding.victim.update",
            audit_reason="api",
            pk=pk,
        )
        s = VictimUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        part = services.victim_update(actor=request.user, part=part, expected_version=data.pop("version"), **data)
        part = ProceedingVictim.objects.select_related("case").prefetch_related("protection_measures").get(pk=part.pk)
        return Response(VictimSerializer(part).data)


# --- Reference data --------------------------------------------------------------------------


class OffenceSerializer(ModelSerializer):
    class Meta:
        model = Offence
        fields = ["code", "article", "name", "legal_basis", "is_trafficking"]


class ProtectionMeasureSerializer(ModelSerializer):
    class Meta:
        model = ProtectionMeasure
        fields = ["code", "name"]


class OffenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Offences of the criminal code that proceedings are about (reference data)."""

    serializer_class = OffenceSerializer
    queryset = Offence.objects.all()


class ProtectionMeasureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Protection measures a victim or witness may be granted (reference data)."""

    serializer_class = ProtectionMeasureSerializer
    queryset = ProtectionMeasure.objects.all()


# --- Statistics ------------------------------------------------------------------------------


class JusticeStatisticsViewSet(viewsets.ViewSet):
    """Justice statistics: the engine's standard tables of the family "justice", with disclosure control.

    ``?year=`` narrows every table to one year. The compensation table carries ``amounts`` (awarded
    and paid, by currency), the assets tables ``amounts`` (seized or confiscated, by currency) and
    the time-to-verdict table ``medians``, each null where the count beside it is suppressed.
    """

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def list(self, request: Request) -> Response:
        tables = selectors.justice_statistics(request.user, year=year_param(request.query_params.get("year")))
        return Response(
            {
                "threshold": tables[0].table.threshold if tables else None,
                "tables": [t.as_dict() for t in tables],
            }
        )
