"""One construct per capability. (Not called ``constructs``: ``python infra/app.py`` puts infra/ first on
sys.path, where a ``constructs`` folder would shadow the constructs library.)"""

from .api import StatusApi
from .collector import Collector
from .crowd_api import CrowdApi
from .firewall import ApiFirewall
from .publisher import Publisher
from .reports import ReportIngest
from .table import StatusTable
from .topic import NotificationTopic

__all__ = [
    "ApiFirewall",
    "Collector",
    "CrowdApi",
    "NotificationTopic",
    "Publisher",
    "ReportIngest",
    "StatusApi",
    "StatusTable",
]
