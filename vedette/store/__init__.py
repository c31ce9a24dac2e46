"""The state store: one SQLite file with articles, matches, deliveries and crawl runs."""

from vedette.errors import StateError
from vedette.store.backup import Backup, backup_state, default_target
from vedette.store.codec import utcnow
from vedette.store.core import Store
from vedette.store.guard import path_problem
from vedette.store.models import NewArticle, PendingItem, RunRecord, SaveResult

__all__ = [
    "Backup",
    "NewArticle",
    "PendingItem",
    "RunRecord",
    "SaveResult",
    "StateError",
    "Store",
    "backup_state",
    "default_target",
    "path_problem",
    "utcnow",
]
