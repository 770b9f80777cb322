"""What case work tells the apps above it, sent inside the service's transaction.

Cases imports none of the apps that act on its events: they connect their receivers from their
``AppConfig.ready()`` (tasks: the service tasks and the notifications of decisions and
withdrawn consents). Each signal names the arguments it is sent with.
"""

from django.dispatch import Signal

# A service was recorded or changed: ``delivery`` (a ServiceDelivery).
service_recorded = Signal()
# The case was closed: ``case``, ``actor``.
case_closed = Signal()
# The identification authority decided: ``identification``, ``actor``.
decision_made = Signal()
# The person withdrew a consent: ``consent``, ``actor``, ``suspended`` (the referrals it suspended).
consent_withdrawn = Signal()
# A case was opened through ``case_open``: ``case``, ``actor``, ``guardian`` (the name the opening
# form gave, or "": a child's guardian is ``nrm.children``'s record).
case_opened = Signal()
# Cases were opened in bulk (``cases_open_bulk``), bypassing the models' own signals:
# ``cases``, ``actor``, ``linkage_keys`` (their people's), ``guardians`` (rows of case id,
# organisation id, recorder id, name).
cases_opened_in_bulk = Signal()
