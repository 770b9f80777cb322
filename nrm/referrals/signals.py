"""What referrals tell the apps above them, sent inside the service's transaction.

Referrals import none of the apps that act on them: those connect their receivers from their
``AppConfig.ready()`` (tasks: the receiver's answer task, the sender's notification).
"""

from django.dispatch import Signal

# A referral was sent, or sent again after a decline: ``referral``.
referral_sent = Signal()
# A referral moved from one state to another: ``referral``, ``actor``, ``old``, ``new``.
referral_moved = Signal()
# A referral was suspended (the consent it relied on withdrawn): ``referral``.
referral_suspended = Signal()
