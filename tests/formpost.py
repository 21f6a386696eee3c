"""What a browser would post for a rendered form: the successful controls of the HTML, in order."""

from __future__ import annotations

from lxml import html
from werkzeug.datastructures import MultiDict


def fragment(markup: str) -> html.HtmlElement:
    return html.fromstring(f"<form>{markup}</form>")


def posted(markup: str, press: tuple[str, str] | None = None) -> MultiDict[str, str]:
    """The form data a browser sends for ``markup`` (without files), with the button ``press`` pressed."""
    data: MultiDict[str, str] = MultiDict()
    for control in fragment(markup).iter("input", "select", "textarea"):
        name = control.get("name")
        if not name or control.get("disabled") is not None:
            continue
        if control.tag == "textarea":
            data.add(name, control.text or "")
        elif control.tag == "select":
            options = control.findall("option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            for option in chosen:
                data.add(name, option.get("value", option.text or ""))
        else:
            kind = control.get("type", "text")
            if kind in ("checkbox", "radio") and control.get("checked") is None:
                continue
            if kind in ("file", "submit"):
                continue
            data.add(name, control.get("value", "on" if kind in ("checkbox", "radio") else ""))
    if press is not None:
        data.add(*press)
    return data
