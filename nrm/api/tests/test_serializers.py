"""Issue E: the API's model serializers copy fields built once, and every copy is its own."""

from __future__ import annotations

import threading

from rest_framework import serializers

from nrm.api.serializers import ModelSerializer
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
