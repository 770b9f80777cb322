"""The OpenAPI schema is valid and unambiguous: no errors, no warnings (names clients rely on)."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # --fail-on-warn turns any ambiguity (an enum name collision, an unresolved field) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    paths = schema["paths"]
    for prefix in ("/api/v1/prevention/", "/api/v1/early-warning/", "/api/v1/programmes/", "/api/v1/justice/"):
        assert any(p.startswith(prefix) for p in paths), prefix
    assert "PreventionEventKindEnum" in schema["components"]["schemas"]
