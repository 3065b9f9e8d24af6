"""One construct per capability. (Not called ``constructs``: ``python infra/app.py`` puts infra/ first on
sys.path, where a ``constructs`` folder would shadow the constructs library.)"""

from .api import StatusApi
from .collector import Collector
from .publisher import Publisher
from .table import StatusTable
from .topic import NotificationTopic

__all__ = ["Collector", "NotificationTopic", "Publisher", "StatusApi", "StatusTable"]
