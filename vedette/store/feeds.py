"""What a feed's server said last time (ETag, Last-Modified), sent back with the next
request so that an unchanged feed costs a 304."""

from __future__ import annotations

from vedette.store.codec import iso, utcnow
from vedette.store.database import Part
from vedette.store.guard import guarded


class Feeds(Part):
    """`feed_validators`."""

    @guarded
    def validators(self, url: str) -> tuple[str | None, str | None]:
        row = self._db.execute(
            "SELECT etag, last_modified FROM feed_validators WHERE url=?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    @guarded
    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO feed_validators (url, etag, last_modified, updated_at)"
                " VALUES (?,?,?,?)", (url, etag, last_modified, iso(utcnow())))
