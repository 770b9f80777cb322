"""The access rules of tasks and notifications (registered from ``TasksConfig.ready``)."""

from nrm.accounts.access import notification_rule, register_rule, task_rule
from nrm.tasks.models import Notification, Task

register_rule(Task, task_rule)
register_rule(Notification, notification_rule)
