"""Internal or cross-border trafficking, derived from what the case records, never typed (issue K).

GRETA asks how many victims were trafficked within the country and how many across a border.
Nobody answers that question on a form: it follows from the countries the case holds. One
function, :func:`trafficking_scope`, says it as a database expression, so that a statistics
table, a list and one case's answer are the same rule.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case as CaseWhen
from django.db.models import CharField, Exists, OuterRef, Q, Value, When

from nrm.protection.choices import TraffickingScope


def trafficking_scope(p: str = "") -> CaseWhen:
    """Return the expression of a case's trafficking scope, the case reached through the prefix ``p``.

    - cross-border when any episode's country, or the case's country of exploitation, is another
      country than ``settings.NRM_COUNTRY``, or the person's citizenship is foreign;
    - internal otherwise, when the exploitation is known to have taken place in the country (an
      episode's country or the case's country of exploitation is the national one);
    - unknown when nothing is known: no country of exploitation anywhere, and no foreign
      citizenship (a national's citizenship alone does not say where they were exploited).
    """
    from nrm.cases.models import Episode  # the episodes are the cases app's; imported when used

    country = settings.NRM_COUNTRY
    episodes = Episode.objects.filter(case=OuterRef(f"{p}pk")).exclude(country="")
    abroad = Exists(episodes.exclude(country=country))
    at_home = Exists(episodes.filter(country=country))
    exploitation = f"{p}country_of_exploitation"
    citizenship = f"{p}person__citizenship"
    foreign = (~Q(**{exploitation: ""}) & ~Q(**{exploitation: country})) | (
        ~Q(**{citizenship: ""}) & ~Q(**{citizenship: country})
    )
    return CaseWhen(
        When(abroad, then=Value(TraffickingScope.CROSS_BORDER.value)),
        When(foreign, then=Value(TraffickingScope.CROSS_BORDER.value)),
        When(Q(**{exploitation: country}) | at_home, then=Value(TraffickingScope.INTERNAL.value)),
        default=Value(TraffickingScope.UNKNOWN.value),
        output_field=CharField(),
    )
