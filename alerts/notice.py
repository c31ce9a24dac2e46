"""Operator notices (a source failing, stale or recovered), sent through any channel."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup

from alerts.render import RenderedDigest, clean_line


def render_notice(kind: str, subject: str, lines: Sequence[str],
                  generated_at: datetime) -> RenderedDigest:
    """A short message with no matches: `subject` plus a few plain-text lines."""
    subject = clean_line(subject)
    body = [clean_line(line) for line in lines]
    html = Markup(
        "<!DOCTYPE html><html><body style=\"font-family:Helvetica,Arial,sans-serif;\">"
        "<h2 style=\"font-size:17px;\">{}</h2>{}</body></html>"
    ).format(subject, Markup("").join(Markup("<p>{}</p>").format(line) for line in body))
    key = f"{kind}\n{subject}\n{generated_at.isoformat()}"
    return RenderedDigest(
        digest=kind,
        batch_id=hashlib.sha256(key.encode()).hexdigest()[:24],
        generated_at=generated_at,
        subject=subject,
        text="\n".join([subject, "", *body]) + "\n",
        html=str(html),
        data={"notice": kind, "subject": subject, "lines": body,
              "generated_at": generated_at.isoformat(timespec="seconds")},
        items=(),
        delivery_ids=(),
    )


__all__ = ["render_notice"]
