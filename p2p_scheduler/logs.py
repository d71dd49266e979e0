"""Structured logs: one JSON object per line, with the request id, and never a credential.

Logs end up in places with weaker access control than the database, so nothing PHI-bearing
is ever logged by this service (bodies and query strings are not logged at all), and, as a
safety net for messages written by libraries, anything that looks like a signed link token
(``token=…``) or a bearer key is masked before a line is written.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

#: The id of the HTTP request being served (``-`` outside one), added to every line.
request_id: ContextVar[str] = ContextVar("request_id", default="-")

_SECRETS = re.compile(r"(token=|Bearer\s+)[^\s&\"']+", re.IGNORECASE)
#: ``LogRecord`` attributes that are not ``extra=`` fields.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


def redact(text: str) -> str:
    return _SECRETS.sub(r"\1‹redacted›", text)


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", …extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


def config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` (also uvicorn's ``log_config``): JSON lines on stderr
    for this service and uvicorn; uvicorn's own access log is replaced by the service's
    request log (``p2p_scheduler.access``), which leaves query strings out."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "": {"handlers": ["default"], "level": level.upper()},
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }
