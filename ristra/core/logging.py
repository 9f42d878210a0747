"""No secrets in logs: a filter that blanks passwords, tokens, cookies and keys.

It redacts the formatted message and the arguments of every record passing the console
handler: ``key=value`` and ``"key": "value"`` pairs whose key names a secret, HTTP
Authorization and Cookie headers, and database URLs' passwords. Django's own error reports
already hide POST fields named like passwords (SafeExceptionReporterFilter); this covers
everything else that reaches a log line.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# Names of secrets, not secrets.
_SECRET_NAMES = (
    r"password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|"  # noqa: S105
    r"session(?:id)?|csrftoken|csrfmiddlewaretoken|cookie|authorization|otp|totp|"
    r"recovery[_-]?code|signature"
)
_PAIR = re.compile(
    rf"""(?P<key>["']?[\w.-]*(?:{_SECRET_NAMES})[\w.-]*["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|(?:Bearer|Basic|Token)\s+\S+|[^\s,;&'"}\]]+)""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.I)


def redact(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    return _PAIR.sub(lambda m: f"{m.group('key')}{REDACTED}", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep the raw text
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
