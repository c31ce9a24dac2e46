"""The state store: one SQLite file with articles, matches, deliveries and crawl runs."""

from vedette.errors import StateError
from vedette.store.backup import Backup, backup_state, default_target
from vedette.store.core import NewArticle, SaveResult, Store
from vedette.store.guard import path_problem
from vedette.store.matches import PendingItem
from vedette.store.runs import RunRecord, utcnow

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
