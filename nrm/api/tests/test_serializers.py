"""Issue E: the API's serializers copy fields built once, every copy is its own, and they read as DRF does."""

from __future__ import annotations

import threading

import pytest
from rest_framework import serializers

from nrm.api.serializers import ModelSerializer, Serializer
from nrm.cases.api import EpisodeSerializer, FlagSerializer
from nrm.cases.models import Episode, ExploitationForm


def test_each_serializer_binds_its_own_fields_and_the_built_ones_stay_unbound():
    first, second = FlagSerializer(), FlagSerializer()
    for name, field in first.fields.items():
        other = second.fields[name]
        assert field is not other
        assert field.parent is first and other.parent is second
        assert field.field_name == name == other.field_name
    for field in FlagSerializer._nrm_fields.values():
        assert field.field_name is None and getattr(field, "parent", None) is None


def test_fields_holding_fields_are_copied_deeply():
    class Holder(ModelSerializer):
        tags = serializers.ListField(child=serializers.CharField())
        form = serializers.SlugRelatedField(slug_field="code", read_only=True, many=True, source="case.forms")

        class Meta:
            model = Episode
            fields = ["id", "tags", "form"]

    first, second = Holder(), Holder()
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["form"].child_relation is not second.fields["form"].child_relation
    assert second.fields["form"].child_relation.parent is second.fields["form"]


def test_context_stays_with_its_serializer_across_threads():
    episode = Episode(id=1, notes="kept for the owner", place="x", recruiter_relationship="")
    episode.form = ExploitationForm(code="labour", name="Labour")
    results: dict[bool, set] = {True: set(), False: set()}

    def read(is_owner: bool) -> None:
        for _ in range(200):
            data = EpisodeSerializer(episode, context={"is_owner": is_owner}).data
            results[is_owner].add(data["notes"])

    threads = [threading.Thread(target=read, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {True: {"kept for the owner"}, False: {""}}


# --- reading (ReadPlan): what DRF's own reading gives, without the fields made per instance ----


def _drf(serializer_class, instance, context: dict):
    """What DRF itself reads: a serializer whose fields were built reads through them."""
    serializer = serializer_class(instance, context=context)
    assert serializer.fields  # built: ReadPlan leaves the reading to DRF
    return _outcome(lambda: serializer.data)


def _outcome(read):
    try:
        return dict(read())
    except Exception as exc:  # noqa: BLE001 - both ways must fail alike
        return type(exc)


def _model_serializers() -> list[type]:
    import nrm.urls  # noqa: F401 - every API module, so every serializer class, is imported

    found, todo = [], [ModelSerializer]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if getattr(getattr(cls, "Meta", None), "model", None) is not None and cls.__module__.startswith("nrm."):
            found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def build_scene(personas):
    import datetime as dt

    from nrm.actionplan.demo import demo_action_plan
    from nrm.demo.generator import generate
    from nrm.earlywarning.demo import demo_earlywarning
    from nrm.helpline.demo import demo_helpline
    from nrm.justice.demo import demo_justice
    from nrm.prevention.demo import demo_prevention
    from nrm.programmes.demo import demo_programmes

    end = dt.date(2025, 6, 30)
    generate(seed=5, start_year=2024, end_date=end, per_year=(12, 12), live_days=40)
    demo_justice(seed=5, end_date=end, fraction=0.8)
    demo_helpline(seed=5)
    demo_prevention(seed=5)
    demo_earlywarning(seed=5)
    demo_programmes(seed=5)
    demo_action_plan(password="irrelevant-here", seed=5)
    # Flags, standing and lifted (the demo raises none): the case read lists them.
    from nrm.accounts.access import Action, restrict
    from nrm.cases import services as case_services
    from nrm.cases.models import Case

    police = personas["police"]
    for case in restrict(Case.objects.all(), police, Action.FLAG).order_by("pk")[:3]:
        lifted = case_services.flag_raise(actor=police, case=case, reason="urgent_medical", note="the doctor's note")
        case_services.flag_lift(actor=police, flag=lifted)
        case_services.flag_raise(actor=police, case=case, reason="security_risk")
    return personas


@pytest.mark.parametrize("serializer_class", _model_serializers(), ids=lambda c: c.__qualname__)
@pytest.mark.parametrize("context", [{"is_owner": True}, {"is_owner": False}], ids=["owner", "other"])
def test_every_model_serializer_reads_demo_records_as_drf_does(scene, serializer_class, context):
    model = serializer_class.Meta.model
    instances = list(model._default_manager.order_by("pk")[:25])
    expected = [_drf(serializer_class, instance, context) for instance in instances]
    for instance, drf in zip(instances, expected, strict=True):
        assert _outcome(lambda i=instance: serializer_class(i, context=context).data) == drf, (
            f"{serializer_class.__qualname__} read {model.__name__} {instance.pk} otherwise than DRF"
        )
    if all(isinstance(drf, dict) for drf in expected):
        assert serializer_class.read_many(instances, context=context) == expected
        assert [serializer_class.read_one(i, context=context) for i in instances] == expected


class _ContextField(serializers.Field):
    """A field of another kind: it reads the context of the serializer it is bound to."""

    def to_representation(self, value):
        return f"{value} for {self.context['who']}"


class _Inner(Serializer):
    code = serializers.CharField()
    seen_by = serializers.SerializerMethodField()

    def get_seen_by(self, obj) -> str:
        return self.context["who"]


class _Outer(ModelSerializer):
    place = _ContextField()
    form = _Inner()
    label = serializers.CharField(source="get_recruiter_relationship_display")

    class Meta:
        model = Episode
        fields = ["id", "place", "form", "label"]


def test_fields_that_read_the_context_are_bound_to_each_serializer():
    episode = Episode(id=3, place="Niš", recruiter_relationship="family")
    episode.form = ExploitationForm(code="labour", name="Labour")
    first = _Outer(episode, context={"who": "police"}).data
    second = _Outer(episode, context={"who": "ngo"}).data
    assert first == {
        "id": 3,
        "place": "Niš for police",
        "form": {"code": "labour", "seen_by": "police"},
        "label": str(Episode(recruiter_relationship="family").get_recruiter_relationship_display()),
    }
    assert second["place"] == "Niš for ngo" and second["form"]["seen_by"] == "ngo"
    assert first["label"] != "family"  # the display method was called, not its partial returned


def test_a_method_source_failing_inside_fails_the_read_as_with_drf():
    class Failing(ModelSerializer):
        label = serializers.CharField(source="explode")

        class Meta:
            model = Episode
            fields = ["id", "label"]

    class Exploding:
        id = 1

        def explode(self) -> str:
            raise AttributeError("inside")

    with pytest.raises(ValueError, match='callable attribute "explode"'):
        Failing(Exploding()).data
    # A plain value of the same name, on an instance of another class, is read, not called.
    assert Failing({"id": 2, "label": "x", "explode": "plain"}).data == {"id": 2, "label": "plain"}


def test_a_serializer_whose_fields_were_built_reads_through_them():
    episode = Episode(id=4, place="Novi Sad", recruiter_relationship="")
    episode.form = ExploitationForm(code="sexual", name="Sexual")
    serializer = _Outer(episode, context={"who": "csw"})
    serializer.fields["place"] = serializers.CharField()  # a change made to this serializer's fields
    assert serializer.data["place"] == "Novi Sad"


def test_readers_of_a_class_each_read_with_their_own_context():
    """``reader`` copies one serializer made per class; fields bound to that one are never shared."""
    episode = Episode(id=1, place="Novi Sad", recruiter_relationship="")
    episode.form = None
    for who in ("first", "second"):
        made = _Outer.__dict__.get("_nrm_made")
        if made is not None:
            _ = made.fields  # built on the shared one, as a stray read of it would
        assert _Outer.read_one(episode, context={"who": who})["place"] == f"Novi Sad for {who}"
