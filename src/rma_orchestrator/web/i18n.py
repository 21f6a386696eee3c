"""Languages and times of the pages: Simplified Chinese or English, times in the business time zone.

The language is, in order: the one the user chose (kept on the user), the one chosen in this
browser before signing in, the browser's preference, Chinese.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, request, session
from flask_babel import Babel, format_datetime, get_locale, ngettext
from flask_babel import gettext as _

from .auth import signed_in_actor

LANGUAGES = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
babel = Babel()


def init_app(app: Flask, business_tz: str) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "zh"
    app.config["BABEL_DEFAULT_TIMEZONE"] = business_tz
    babel.init_app(app, locale_selector=select_language)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["relative_due"] = relative_due
    app.jinja_env.globals["languages"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language


def select_language() -> str:
    """The catalogue to use: ``zh`` (Babel reads zh_CN as zh_Hans_CN and finds its catalogue under zh)
    or ``en``."""
    return "zh" if chosen_language() == "zh_CN" else "en"


def chosen_language() -> str:
    actor = signed_in_actor()
    chosen = (actor.locale if actor else None) or session.get("language")
    if chosen in LANGUAGES:
        return str(chosen)
    return "en" if request.accept_languages.best_match(["zh", "en"], default="zh") == "en" else "zh_CN"


def current_language() -> str:
    return "zh_CN" if str(get_locale()).startswith("zh") else "en"


def local_time(moment: datetime | None, style: str = "medium") -> str:
    """A UTC time as the business time zone shows it (empty for none)."""
    if moment is None:
        return ""
    pattern = "yyyy-MM-dd HH:mm" if style == "medium" else "MM-dd HH:mm"
    return format_datetime(moment, pattern)


def relative_due(due: datetime | None, now: datetime) -> str:
    """"还剩 3 小时" / "3 h left", "已超时 2 小时" / "overdue by 2 h"; empty when nothing is due."""
    if due is None:
        return ""
    left = due - now
    span = _span(abs(left))
    return _("%(span)s left", span=span) if left >= timedelta(0) else _("overdue by %(span)s", span=span)


def _span(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    if minutes < 60:
        return ngettext("%(num)d min", "%(num)d min", max(minutes, 1))
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(num)d h", "%(num)d h", hours)
    return ngettext("%(num)d day", "%(num)d days", hours // 24)
