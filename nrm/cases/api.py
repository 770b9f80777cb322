"""API for screenings and cases; every write goes through ``nrm.cases.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from nrm.accounts.access import Action, get_or_deny
from nrm.api.acting import acting_organisation
from nrm.api.conditional import ConditionalMixin
from nrm.api.idempotency import IdempotentPostMixin
from nrm.api.serializers import ModelSerializer, Serializer
from nrm.cases import selectors, services
from nrm.cases.choices import (
    AgeBand,
    ClosureReason,
    ConsentPurpose,
    Decision,
    FlagReason,
    MigrationStatus,
    RecruiterRelationship,
    ReferralSource,
    ServiceStatus,
    Sex,
)
from nrm.cases.models import Case, CaseFlag, Consent, Episode, IndicatorList, Screening, ServiceDelivery
from nrm.cases.screening import explain
from nrm.core.jsonrows import loaded, release
from nrm.referrals.models import ServiceType
from nrm.referrals.selectors import case_referrals


class ScreeningSerializer(ModelSerializer):
    organisation = serializers.IntegerField(required=False, source="organisation_id")
    answers = serializers.ListField(child=serializers.CharField(max_length=80), allow_empty=True)
    # The forms of exploitation suspected: the indicator lists evaluated (empty: every list).
    suspected_forms = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, allow_empty=True, default=list
    )
    sex = serializers.ChoiceField(Sex.choices, default=Sex.UNKNOWN)
    age_band = serializers.ChoiceField(AgeBand.choices, default=AgeBand.UNKNOWN)
    # In the caller's language (Accept-Language), rendered from the stored reasons when read.
    result_label = serializers.CharField(source="get_result_display", read_only=True)
    explanation = serializers.SerializerMethodField()

    class Meta:
        model = Screening
        fields = [
            "id",
            "organisation",
            "screened_on",
            "is_child",
            "answers",
            "suspected_forms",
            "anonymous",
            "sex",
            "age_band",
            "citizenship",
            "region",
            "channel",
            "result",
            "result_label",
            "reasons",
            "explanation",
            "case",
            "indicator_list",
        ]
        read_only_fields = ["result", "reasons", "case", "indicator_list"]
        # Whether the person is a child decides which rule applies: the caller must say.
        extra_kwargs = {"screened_on": {"required": False}, "is_child": {"required": True}}

    def get_explanation(self, obj: Screening) -> list[str]:
        return explain(obj.reasons) if obj.reasons else []


class ScreeningViewSet(
    IdempotentPostMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Screenings of the caller's organisations. Creating one computes the result and its reasons."""

    serializer_class = ScreeningSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        # Notes are not part of the API's screening, so they are neither read nor decrypted.
        return selectors.screening_list(self.request.user).defer("notes").order_by("-screened_on", "-id")

    def retrieve(self, request: Request, pk=None) -> Response:
        """Return one screening; reading it is audited, and so is a refusal."""
        return Response(ScreeningSerializer(selectors.screening_get(request.user, int(pk))).data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        org = acting_organisation(self.request.user, data.pop("organisation_id", None))
        data["forms"] = data.pop("suspected_forms", [])
        serializer.instance = services.screening_record(actor=self.request.user, organisation=org, **data)


class ResponsibleSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class CaseListSerializer(ModelSerializer):
    owner = serializers.CharField(source="owner.name", read_only=True)
    responsible = ResponsibleSerializer(read_only=True, allow_null=True)
    # The reasons of the standing flags (loaded with the list through the access rule).
    flags = serializers.SerializerMethodField()
    sex = serializers.CharField(source="person.sex", read_only=True)
    age_band = serializers.CharField(source="person.age_band", read_only=True)
    citizenship = serializers.CharField(source="person.citizenship", read_only=True)
    forms = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "reference",
            "owner",
            "status",
            "opened_on",
            "is_child",
            "sex",
            "age_band",
            "citizenship",
            "forms",
            "identification_status",
            "closed_on",
            "responsible",
            "flags",
            "version",
        ]

    def get_flags(self, obj: Case) -> list[str]:
        return sorted({f.reason for f in loaded(obj, "flags") if f.lifted_at is None})


class FlagSerializer(ModelSerializer):
    reason = serializers.ChoiceField(FlagReason.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A short note (at most 300 characters), encrypted."
    )
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    raised_by = serializers.CharField(source="raised_by.username", read_only=True)
    lifted_by = serializers.CharField(source="lifted_by.username", read_only=True, allow_null=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = CaseFlag
        fields = [
            "id",
            "reason",
            "reason_label",
            "note",
            "active",
            "organisation",
            "raised_by",
            "raised_at",
            "lifted_by",
            "lifted_at",
        ]
        read_only_fields = ["raised_at", "lifted_at"]


class EpisodeSerializer(ModelSerializer):
    """An episode of exploitation as read: its notes only for the owner's staff (context ``is_owner``)."""

    form = serializers.SlugRelatedField(slug_field="code", read_only=True)
    form_label = serializers.SerializerMethodField()
    recruiter_relationship_label = serializers.CharField(source="get_recruiter_relationship_display", read_only=True)
    notes = serializers.SerializerMethodField()

    class Meta:
        model = Episode
        fields = [
            "id",
            "form",
            "form_label",
            "country",
            "place",
            "started_on",
            "ended_on",
            "recruiter_relationship",
            "recruiter_relationship_label",
            "notes",
            "version",
        ]
        read_only_fields = fields

    def get_form_label(self, obj: Episode) -> str:
        return str(obj.form)

    def get_notes(self, obj: Episode) -> str:
        # Not loaded for anyone else (``selectors._case_episodes``): never read, never decrypted.
        return obj.notes if self.context.get("is_owner") else ""


class EpisodeWriteSerializer(serializers.Serializer):
    """An episode to add, or the fields of one to change (PATCH: only those sent)."""

    form = serializers.CharField(max_length=40, help_text="The code of a form of exploitation.")
    country = serializers.CharField(required=False, allow_blank=True, help_text="ISO 3166 alpha-2")
    place = serializers.CharField(required=False, allow_blank=True, max_length=Episode.PLACE_MAX_LENGTH)
    started_on = serializers.DateField(required=False, allow_null=True)
    ended_on = serializers.DateField(required=False, allow_null=True)
    recruiter_relationship = serializers.ChoiceField(RecruiterRelationship.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    # Optional on a PATCH: If-Match already names the version the client read.
    version = serializers.IntegerField(required=False)


class AssignSerializer(serializers.Serializer):
    responsible = serializers.IntegerField(help_text="The id of a case worker of the owning organisation.")
    # Optional: If-Match already names the version the client read.
    version = serializers.IntegerField(required=False)


class IdentitySerializer(serializers.Serializer):
    given_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    family_name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    document_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    contact = serializers.CharField(required=False, allow_blank=True, max_length=200)
    address = serializers.CharField(required=False, allow_blank=True, max_length=300)


class CaseCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False)
    screening = serializers.IntegerField(required=False)
    identity = IdentitySerializer(required=False)
    sex = serializers.ChoiceField(Sex.choices, default=Sex.UNKNOWN)
    birth_year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    citizenship = serializers.CharField(required=False, allow_blank=True, default="")
    migration_status = serializers.ChoiceField(MigrationStatus.choices, default=MigrationStatus.UNKNOWN)
    is_child = serializers.BooleanField(default=False)
    forms = serializers.ListField(child=serializers.CharField(), default=list)
    opened_on = serializers.DateField(required=False)
    country_of_exploitation = serializers.CharField(required=False, allow_blank=True, default="")
    region = serializers.CharField(required=False, allow_blank=True, default="")
    guardian = serializers.CharField(required=False, allow_blank=True, default="")
    referral_source = serializers.ChoiceField(ReferralSource.choices, default=ReferralSource.ORGANISATION)


class CaseUpdateSerializer(serializers.Serializer):
    # Optional: If-Match already names the version the client read.
    version = serializers.IntegerField(required=False)
    is_child = serializers.BooleanField(required=False)
    best_interests_note = serializers.CharField(required=False, allow_blank=True)
    country_of_exploitation = serializers.CharField(required=False, allow_blank=True)
    place_of_exploitation = serializers.CharField(required=False, allow_blank=True)
    region = serializers.CharField(required=False, allow_blank=True)
    exploitation_start = serializers.DateField(required=False, allow_null=True)
    exploitation_end = serializers.DateField(required=False, allow_null=True)
    plan_goals = serializers.CharField(required=False, allow_blank=True)
    forms = serializers.ListField(child=serializers.CharField(), required=False)
    # Checked by the service, so the message names the field whatever the caller sent.
    asylum_status = serializers.CharField(required=False)
    asylum_status_on = serializers.DateField(required=False, allow_null=True)


class ConsentSerializer(ModelSerializer):
    purpose = serializers.ChoiceField(ConsentPurpose.choices)

    class Meta:
        model = Consent
        fields = ["id", "purpose", "organisation", "given_on", "withdrawn_on", "note"]
        read_only_fields = ["withdrawn_on"]
        extra_kwargs = {"given_on": {"required": False}}


class IdentifySerializer(serializers.Serializer):
    decision = serializers.ChoiceField(Decision.choices)
    grounds = serializers.CharField()
    decided_on = serializers.DateField(required=False)


class ServiceSerializer(ModelSerializer):
    service_type = serializers.SlugRelatedField(slug_field="code", queryset=ServiceType.objects.all())
    status = serializers.ChoiceField(ServiceStatus.choices, default=ServiceStatus.PLANNED)
    organisation = serializers.IntegerField(required=False, source="organisation_id")
    referral = serializers.IntegerField(required=False, allow_null=True, source="referral_id")

    class Meta:
        model = ServiceDelivery
        fields = [
            "id",
            "service_type",
            "organisation",
            "referral",
            "status",
            "started_on",
            "ended_on",
            "outcome",
            "version",
        ]
        read_only_fields = ["version"]


class ServiceUpdateSerializer(serializers.Serializer):
    # Optional: If-Match already names the version the client read.
    version = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(ServiceStatus.choices, required=False)
    started_on = serializers.DateField(required=False, allow_null=True)
    ended_on = serializers.DateField(required=False, allow_null=True)
    outcome = serializers.CharField(required=False, allow_blank=True)


class CloseSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    reason = serializers.ChoiceField(ClosureReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    closed_on = serializers.DateField(required=False)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField()


def case_detail(view: selectors.CaseView) -> dict:
    """Return the case as the caller may see it: identity only when allowed."""
    case = view.case
    data = CaseListSerializer.read_one(case)
    data.update(
        {
            "migration_status": case.person.migration_status,
            "asylum_status": case.asylum_status,
            "asylum_status_on": case.asylum_status_on,
            "referral_source": case.referral_source,
            "birth_year": case.person.birth_year,
            "country_of_exploitation": case.country_of_exploitation,
            "region": case.region,
            "place_of_exploitation": case.place_of_exploitation,
            "closure_reason": case.closure_reason,
            "plan_goals": case.plan_goals if view.is_owner else "",
            "timeline": [{"on": e.on, "kind": e.kind, "text": e.text} for e in selectors.case_timeline(view)],
            "services": ServiceSerializer.read_many(loaded(case, "services")),
            "flag_history": FlagSerializer.read_many(loaded(case, "flags")),
            "episodes": EpisodeSerializer.read_many(loaded(case, "episodes"), context={"is_owner": view.is_owner}),
            "identity": None,
        }
    )
    if view.show_identity:
        p = case.person
        data["identity"] = {f: getattr(p, f) for f in p.IDENTITY_FIELDS}
        # The current guardian's name, as before guardians became records (nrm.children has the rest).
        # Loaded with a child's case only (``children.selectors.case_guardians``): an adult's has none.
        guardians = loaded(case, "guardians") if case.is_child else []
        data["guardian"] = next((g.name for g in guardians if g.ended_on is None), "")
    if view.is_owner:
        data["consents"] = ConsentSerializer.read_many(loaded(case, "consents"))
    return data


class CaseViewSet(ConditionalMixin, IdempotentPostMixin, viewsets.GenericViewSet):
    """Cases the caller may see. Reading one is audited; another organisation's case is a 404.

    A case and its services are versioned: responses carry an ``ETag``, a PATCH needs ``If-Match``.
    """

    serializer_class = CaseListSerializer
    lookup_value_regex = r"\d+"
    conditional_actions = frozenset({"close", "episode"})

    def _filters(self) -> dict[str, str]:
        return {
            k: self.request.query_params.get(k, "")
            for k in ("status", "form", "decision", "is_child", "year", "q", "mine")
        }

    def _search(self) -> selectors.NameSearch | None:
        params = self.request.query_params
        return selectors.name_search(params.get("name", ""), params.get("birth_date", ""), params.get("birth_year", ""))

    def get_queryset(self):
        return selectors.case_list(self.request.user, search=self._search(), **self._filters())

    def _case(self, pk, action_: Action = Action.VIEW) -> Case:
        return get_or_deny(
            Case.objects.select_related("owner", "person"),
            self.request.user,
            action_,
            object_type="case",
            audit_action=f"case.{action_}",
            audit_reason="api",
            pk=pk,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("name", str, description="Given and family name, exact (either script); with a date"),
            OpenApiParameter("birth_date", OpenApiTypes.DATE, description="Date of birth (YYYY-MM-DD), with name"),
            OpenApiParameter("birth_year", int, description="Birth year, with name (instead of birth_date)"),
            OpenApiParameter("mine", str, enum=["1"], description="Only the cases the caller is responsible for"),
        ]
    )
    def list(self, request: Request) -> Response:
        search = self._search()
        page = self.paginate_queryset(selectors.case_list(request.user, search=search, **self._filters()))
        selectors.audit_case_list(request.user, page, filters=self._filters(), reason="api", search=search)
        return self.get_paginated_response(CaseListSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk=None) -> Response:
        view = selectors.case_get(request.user, int(pk), reason=request.query_params.get("reason", "api"), shown="api")
        response = self.tagged(Response(case_detail(view)), view.case)
        release(view.case)
        return response

    @extend_schema(request=CaseCreateSerializer, responses=CaseListSerializer)
    def create(self, request: Request) -> Response:
        s = CaseCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        org = acting_organisation(request.user, data.pop("organisation", None))
        screening = None
        if "screening" in data:
            screening = selectors.screening_list(request.user).filter(pk=data.pop("screening")).first()
            if screening is None:
                raise serializers.ValidationError({"screening": ["No such screening."]})
        identity = data.pop("identity", {}) or {}
        if identity.get("date_of_birth"):
            identity["date_of_birth"] = identity["date_of_birth"].isoformat()
        case = services.case_open(actor=request.user, organisation=org, screening=screening, identity=identity, **data)
        return Response(CaseListSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseUpdateSerializer, responses=CaseListSerializer)
    def partial_update(self, request: Request, pk=None) -> Response:
        case = self._case(pk, Action.MANAGE)
        current = self.check_if_match(case)
        s = CaseUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        # The body's version, when sent, must agree too; If-Match alone is enough.
        version = data.pop("version", current)
        case = services.case_update(actor=request.user, case=case, expected_version=version, **data)
        return self.tagged(Response(CaseListSerializer(case).data), case)

    @extend_schema(request=ConsentSerializer, responses={201: ConsentSerializer})
    @action(detail=True, methods=["post"])
    def consents(self, request: Request, pk=None) -> Response:
        case = self._case(pk, Action.REFER)
        s = ConsentSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        consent = services.consent_record(actor=request.user, case=case, **s.validated_data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ConsentSerializer)
    @action(detail=True, methods=["post"], url_path=r"consents/(?P<consent_id>\d+)/withdraw")
    def withdraw_consent(self, request: Request, pk=None, consent_id=None) -> Response:
        case = self._case(pk, Action.REFER)
        consent = get_object_or_404(Consent, pk=consent_id, case=case)
        consent = services.consent_withdraw(actor=request.user, consent=consent)
        return Response(ConsentSerializer(consent).data)

    @extend_schema(request=IdentifySerializer, responses={201: IdentifySerializer})
    @action(detail=True, methods=["post"])
    def identify(self, request: Request, pk=None) -> Response:
        case = self._case(pk, Action.IDENTIFY)
        s = IdentifySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ident = services.identification_decide(actor=request.user, case=case, **s.validated_data)
        return Response(IdentifySerializer(ident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceSerializer, responses={201: ServiceSerializer})
    @action(detail=True, methods=["post"])
    def services(self, request: Request, pk=None) -> Response:
        case = self._case(pk, Action.RECORD_SERVICE)
        s = ServiceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        org = acting_organisation(request.user, data.pop("organisation_id", None))
        referral_id = data.pop("referral_id", None)
        # Among the case's referrals the caller may see; the service decides which it may use.
        referral = case_referrals(request.user, case).filter(pk=referral_id).first() if referral_id else None
        if referral_id and referral is None:
            raise serializers.ValidationError({"referral": ["No such referral on this case."]})
        delivery = services.service_record(actor=request.user, case=case, organisation=org, referral=referral, **data)
        return Response(ServiceSerializer(delivery).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceUpdateSerializer, responses=ServiceSerializer)
    @action(detail=True, methods=["patch"], url_path=r"services/(?P<service_id>\d+)")
    def update_service(self, request: Request, pk=None, service_id=None) -> Response:
        case = self._case(pk, Action.RECORD_SERVICE)
        delivery = get_object_or_404(ServiceDelivery, pk=service_id, case=case)
        current = self.check_if_match(delivery)
        s = ServiceUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        version = data.pop("version", current)
        delivery = services.service_update(actor=request.user, delivery=delivery, expected_version=version, **data)
        return self.tagged(Response(ServiceSerializer(delivery).data), delivery)

    @extend_schema(request=CloseSerializer, responses=CaseListSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk=None) -> Response:
        case = self._case(pk, Action.MANAGE)
        self.check_if_match(case)
        s = CloseSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        case = services.case_close(actor=request.user, case=case, expected_version=data.pop("version"), **data)
        return self.tagged(Response(CaseListSerializer(case).data), case)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="subject-export")
    def subject_export(self, request: Request, pk=None) -> Response:
        """Return everything held on the case's person (subject access request); owner's case managers only."""
        return Response(selectors.subject_access_export(request.user, int(pk)))

    @extend_schema(request=AssignSerializer, responses=CaseListSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk=None) -> Response:
        """Make a case worker of the owning organisation responsible for the case (its case workers)."""
        from nrm.accounts.models import User

        case = self._case(pk, Action.ASSIGN)
        current = self.check_if_match(case)
        s = AssignSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        worker = User.objects.filter(pk=s.validated_data["responsible"]).first()
        version = s.validated_data.get("version", current)
        case = services.case_assign(actor=request.user, case=case, responsible=worker, expected_version=version)
        return self.tagged(Response(CaseListSerializer(case).data), case)

    @extend_schema(methods=["get"], responses=FlagSerializer(many=True))
    @extend_schema(methods=["post"], request=FlagSerializer, responses={201: FlagSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def flags(self, request: Request, pk=None) -> Response:
        """List the case's flags, standing and lifted (whoever sees the case), or raise one."""
        if request.method == "GET":
            view = selectors.case_get(request.user, int(pk), reason="api flags")
            return Response(FlagSerializer(loaded(view.case, "flags"), many=True).data)
        case = self._case(pk, Action.FLAG)
        s = FlagSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        flag = services.flag_raise(
            actor=request.user, case=case, reason=s.validated_data["reason"], note=s.validated_data["note"]
        )
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=FlagSerializer)
    @action(detail=True, methods=["post"], url_path=r"flags/(?P<flag_id>\d+)/lift")
    def lift_flag(self, request: Request, pk=None, flag_id=None) -> Response:
        case = self._case(pk, Action.FLAG)
        flag = get_object_or_404(CaseFlag.objects.select_related("case"), pk=flag_id, case=case)
        flag = services.flag_lift(actor=request.user, flag=flag)
        return Response(FlagSerializer(flag).data)

    @extend_schema(methods=["get"], responses=EpisodeSerializer(many=True))
    @extend_schema(methods=["post"], request=EpisodeWriteSerializer, responses={201: EpisodeSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def episodes(self, request: Request, pk=None) -> Response:
        """List the case's episodes of exploitation (whoever sees the case), or add one (the owner's case roles)."""
        if request.method == "GET":
            view = selectors.case_get(request.user, int(pk), reason="api episodes")
            context = {"is_owner": view.is_owner}
            return Response(EpisodeSerializer(loaded(view.case, "episodes"), many=True, context=context).data)
        case = self._case(pk, Action.CORRECT)
        s = EpisodeWriteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        data.pop("version", None)
        episode = services.episode_add(actor=request.user, case=case, **data)
        body = EpisodeSerializer(episode, context={"is_owner": True}).data
        return self.tagged(Response(body, status=status.HTTP_201_CREATED), episode)

    @extend_schema(methods=["patch"], request=EpisodeWriteSerializer(partial=True), responses=EpisodeSerializer)
    @extend_schema(methods=["delete"], request=None, responses={204: None})
    @action(detail=True, methods=["patch", "delete"], url_path=r"episodes/(?P<episode_id>\d+)")
    def episode(self, request: Request, pk=None, episode_id=None) -> Response:
        """Change an episode (If-Match required) or remove it (If-Match honoured); the owner's case roles."""
        case = self._case(pk, Action.CORRECT)
        episode = get_or_deny(
            Episode.objects.filter(case=case).select_related("case", "form"),
            request.user,
            Action.CORRECT,
            object_type="episode",
            audit_action=f"case.episode_{'remove' if request.method == 'DELETE' else 'update'}",
            audit_reason="api",
            pk=episode_id,
        )
        current = self.check_if_match(episode)
        if request.method == "DELETE":
            services.episode_remove(actor=request.user, episode=episode, expected_version=current)
            return Response(status=status.HTTP_204_NO_CONTENT)
        s = EpisodeWriteSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        data = dict(s.validated_data)
        version = data.pop("version", current)
        episode = services.episode_update(actor=request.user, episode=episode, expected_version=version, **data)
        return self.tagged(Response(EpisodeSerializer(episode, context={"is_owner": True}).data), episode)

    @extend_schema(request=NoteSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk=None) -> Response:
        case = self._case(pk, Action.MANAGE)
        s = NoteSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        note = services.note_add(actor=request.user, case=case, text=s.validated_data["text"])
        return Response({"id": note.pk, "text": note.text}, status=status.HTTP_201_CREATED)


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def active_list(request: Request) -> Response:
    """Return the active indicator list: dimensions, indicators and rules."""
    lst = services.active_indicator_list()
    return Response({"code": lst.code, "version": lst.version, "title": lst.title, **lst.definition})


__all__ = ["CaseViewSet", "IndicatorList", "ScreeningViewSet", "active_list"]
