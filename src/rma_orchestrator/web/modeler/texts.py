"""The texts the modeler's scripts show (their labels, statuses, the conflict), in the page's language.

The scripts look a text up by its English wording (bpmn-js's translate service does the same for the
properties panel's labels); ``{name}`` marks are filled in by the script.
"""

from __future__ import annotations

from flask_babel import gettext as _


def editor_texts() -> dict[str, str]:
    return {
        "error": _("Error"),
        "warning": _("Warning"),
        "conflict": _(
            "%(who)s saved this draft (revision %(revision)s) after you opened it. Your changes are not "
            "saved: reload to see their version, then make your changes again.",
            who="{who}",
            revision="{revision}",
        ),
        "Saving…": _("Saving…"),
        "Not saved.": _("Not saved."),
        "Not saved: {message}": _("Not saved: {message}"),
        "Saved as revision {revision}.": _("Saved as revision {revision}."),
        "Validating…": _("Validating…"),
        "Validation failed: {message}": _("Validation failed: {message}"),
        "{count} findings.": _("{count} findings."),
        "No findings.": _("No findings."),
        "Unsaved changes.": _("Unsaved changes."),
        "Deploying…": _("Deploying…"),
        "Deployed.": _("Deployed."),
        "Not deployed.": _("Not deployed."),
        "Not deployed: {message}": _("Not deployed: {message}"),
        "Not deployed: {count} findings.": _("Not deployed: {count} findings."),
        "Deployed: {versions}": _("Deployed: {versions}"),
        "Nothing new: every file is already deployed as it is.": _(
            "Nothing new: every file is already deployed as it is."
        ),
        "Compare with v{version}": _("Compare with v{version}"),
        "Move running cases from v{from} to v{to}": _("Move running cases from v{from} to v{to}"),
        "Write a change note: what changed and why. It goes into the audit trail with your name.": _(
            "Write a change note: what changed and why. It goes into the audit trail with your name."
        ),
        "The file could not be opened: {message}": _("The file could not be opened: {message}"),
        "The file cannot be saved: {message}": _("The file cannot be saved: {message}"),
        "(no form)": _("(no form)"),
        "(missing)": _("(missing)"),
        "(none)": _("(none)"),
        "Form": _("Form"),
        "Form file": _("Form file"),
        "Due-time preview": _("Due-time preview"),
        "Computing the due time…": _("Computing the due time…"),
        "Due at {when} if it started now": _("Due at {when} if it started now"),
        "The expression could not be evaluated.": _("The expression could not be evaluated."),
        "The due time could not be computed.": _("The due time could not be computed."),
        "Condition": _("Condition"),
        "A Python expression on the case data; empty for the default flow.": _(
            "A Python expression on the case data; empty for the default flow."
        ),
        "Payload variable": _("Payload variable"),
        "The case data name the message's payload is stored in.": _(
            "The case data name the message's payload is stored in."
        ),
        "Script": _("Script"),
        "SLA": _("SLA"),
        "SLA name": _("SLA name"),
        "When the timer fires, an SLA breach under this name is recorded.": _(
            "When the timer fires, an SLA breach under this name is recorded."
        ),
        "Breach kind": _("Breach kind"),
        "SLA breach only": _("SLA breach only"),
        "legal breach": _("legal breach"),
        "Decision": _("Decision"),
        "Decision table": _("Decision table"),
        "General": _("General"),
        "Name": _("Name"),
        "Documentation": _("Documentation"),
        "Message": _("Message"),
        "Timer": _("Timer"),
        "Type": _("Type"),
        "Value": _("Value"),
    }
