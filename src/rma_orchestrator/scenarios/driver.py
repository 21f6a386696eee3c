"""Drives one scenario's instance: each step is a call of the service layer, as the actor it names."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from typing import Any

from PIL import Image

from ..clock import iso
from ..errors import RmaError
from ..service.attachments import add_attachment
from ..service.clock import move_clock, set_clock_while_unused
from ..service.context import Actor, Services
from ..service.incidents import retry_incident
from ..service.instances import (
    cancel_instance,
    get_instance,
    list_events,
    resume_instance,
    start_instance,
    suspend_instance,
)
from ..service.messages import deliver_message
from ..service.products import seed_product
from ..service.results import InstanceDetail
from ..service.tasks import complete_task
from .compare import describe, error_mismatch, ids, lookup, same, show
from .files import ROLES, ExpectedError, Scenario, Step

USER = "scenario"
ADMIN = Actor(USER, "admin")
READER = Actor(USER, "manager")


class ScenarioDriver:
    """One scenario's instance and the service calls its steps make."""

    def __init__(self, services: Services, scenario: Scenario) -> None:
        self.services, self.scenario = services, scenario
        self.instance_id: int | None = None
        self.business_key = ""
        self.attachments: dict[str, int] = {}  # ref -> id, for {attachment: ref} in later data

    def step(self, step: Step) -> str | None:
        """None when the step passed, else what went wrong."""
        if step.action == "start" and self.instance_id is not None:
            return f"this scenario already started {self.business_key}; a scenario drives one instance"
        if step.action not in ("start", "attach") and self.instance_id is None:
            return "no instance yet: give start data (top-level 'start') or a start step first"
        expected: ExpectedError | None = step.options.get("expect_error")
        return self.attempt(lambda: getattr(self, f"_{step.action}")(step), expected)

    def attempt(self, action: Callable[[], str | None], expected: ExpectedError | None) -> str | None:
        """Run ``action``: None when it passed (or failed as expected), else what went wrong."""
        try:
            problem = action()
        except RmaError as error:
            if expected is None:
                return f"{describe(error)}{self._context()}"
            return error_mismatch(expected, error)
        except Exception as error:  # a database or engine failure is this scenario's failure too
            return f"unexpected {type(error).__name__}: {error}{self._context()}"
        if problem is None and expected is not None:
            return f"expected {expected.type}, but the step succeeded{self._context()}"
        return problem

    def start_clock(self) -> str | None:
        """Set the controlled clock to the scenario's start time, before the instance starts."""
        start = self.scenario.clock
        assert start is not None
        if not self.services.clock.controlled:
            return "the clock is not controlled here (set RMA_CONTROLLED_CLOCK=1)"
        if set_clock_while_unused(self.services, ADMIN, start):  # nothing counts from the clock yet
            return None
        current = self.services.clock.now()
        if start < current:
            return (
                f"the controlled clock is already at {iso(current)} and never moves backwards, and this"
                " database already holds instances or messages (it is shared with other scenarios);"
                " run this scenario on a database of its own, in a separate run (`rma test-processes`"
                " gives each scenario a fresh one)"
            )
        move_clock(self.services, ADMIN, set_to=start.isoformat())  # fires what falls due
        return None

    def seed_product(self, seed: dict[str, Any]) -> None:
        """A product record the scenario starts from (top-level ``products``)."""
        seed_product(self.services, seed, ADMIN)

    def _start(self, step: Step) -> str | None:
        actor = self._actor(step, Actor(USER, "staff"))
        started = start_instance(self.services, self.scenario.process, self._with_ids(step.arg), actor)
        self.instance_id, self.business_key = started.id, started.business_key
        return None

    def _complete(self, step: Step) -> str | None:
        tasks = self._instance().tasks
        task = next((t for t in tasks if t.element_id == step.arg), None)
        if task is None:
            shown = ids(t.element_id for t in tasks)
            return f"no open task {step.arg}; open tasks: {shown}{self._context()}"
        actor = self._actor(step, Actor(USER, "staff", frozenset({task.group} if task.group else ())))
        complete_task(self.services, task.id, self._with_ids(step.options.get("data", {})), actor)
        return None

    def _attach(self, step: Step) -> str | None:
        """A sample image as an attachment of kind ``step.arg``: on the case, or staged before it."""
        task_id = None
        if "task" in step.options:
            tasks = self._instance().tasks if self.instance_id is not None else []
            task = next((t for t in tasks if t.element_id == step.options["task"]), None)
            if task is None:
                return f"no open task {step.options['task']} to attach to{self._context()}"
            task_id = task.id
        ref = step.options.get("ref", step.arg)
        actor = self._actor(step, Actor(USER, "staff"))
        info = add_attachment(
            self.services, actor, self.instance_id, step.arg, f"{ref}.png", sample_image(), task_id
        )
        self.attachments[ref] = info.id
        return None

    def _with_ids(self, value: Any) -> Any:
        """``value`` with every ``{attachment: ref}`` replaced by that attachment's id."""
        if isinstance(value, dict):
            if set(value) == {"attachment"} and isinstance(value["attachment"], str):
                ref = value["attachment"]
                if ref not in self.attachments:
                    raise UnknownAttachment(ref, sorted(self.attachments))
                return self.attachments[ref]
            return {key: self._with_ids(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._with_ids(item) for item in value]
        return value

    def _message(self, step: Step) -> str | None:
        actor = self._actor(step, Actor(USER, "staff"))
        result = deliver_message(
            self.services,
            step.arg,
            self.business_key,
            self._with_ids(step.options.get("payload", {})),
            actor,
            idempotency_key=step.options.get("idempotency_key"),
        )
        wanted = step.options.get("delivered")
        if wanted is not None and result.delivered != wanted:
            got = "delivered" if result.delivered else "kept for later (nothing waited for it)"
            return f"the message was {got}, expected {'delivered' if wanted else 'kept'}{self._context()}"
        return None

    def _clock(self, step: Step) -> None:
        if isinstance(step.arg, str):
            move_clock(self.services, ADMIN, add=step.arg)
        else:
            move_clock(self.services, ADMIN, set_to=step.arg["set"])

    def _retry(self, step: Step) -> str | None:
        incidents = [i for i in self._instance().incidents if i.resolved_at is None]
        incident = next((i for i in incidents if i.element_id == step.arg), None)
        if incident is None:
            shown = ids(i.element_id for i in incidents)
            return f"no open incident on {step.arg}; open incidents: {shown}{self._context()}"
        retry_incident(
            self.services, incident.id, self._manager(step), self._with_ids(step.options.get("data"))
        )
        return None

    def _cancel(self, step: Step) -> None:
        cancel_instance(self.services, self._id, self._manager(step))

    def _suspend(self, step: Step) -> None:
        suspend_instance(self.services, self._id, self._manager(step))

    def _resume(self, step: Step) -> None:
        resume_instance(self.services, self._id, self._manager(step))

    def _expect(self, step: Step) -> str | None:
        expected: dict[str, Any] = step.arg
        instance = self._instance()
        mismatches = []
        for key in ("status", "outcome"):
            actual = getattr(instance, key)
            if key in expected and actual != expected[key]:
                mismatches.append(f"{key} is {show(actual)}, expected {show(expected[key])}")
        actual_lists = {
            "tasks": [t.element_id for t in instance.tasks],
            "timers": [t.element_id for t in instance.timers],
            "incidents": [i.element_id for i in instance.incidents if i.resolved_at is None],
        }
        for key, listed in actual_lists.items():
            if key in expected and sorted(listed) != sorted(expected[key]):
                mismatches.append(f"{key} are {ids(listed)}, expected {ids(expected[key])}")
        for path, value in expected.get("data", {}).items():
            found, actual_value = lookup(instance.data, path)
            if not found:
                mismatches.append(f"data.{path} is missing, expected {show(value)}")
            elif not same(actual_value, value):
                mismatches.append(f"data.{path} is {show(actual_value)}, expected {show(value)}")
        if "events" in expected:
            kinds = [e.kind for e in list_events(self.services, self._id, READER).items]
            missing = Counter(expected["events"]) - Counter(kinds)
            if missing:
                mismatches.append(f"events lack {ids(missing.elements())}; events: {ids(kinds)}")
        for element, state in expected.get("elements", {}).items():
            process, _, element_id = element.rpartition(":")
            states = instance.element_states.get(process or instance.process_key, {})
            actual_state = states.get(element_id, {}).get("state", "unreached")
            if actual_state != state:
                mismatches.append(f"element {element} is {actual_state}, expected {state}")
        if mismatches:
            return "; ".join(mismatches) + self._context(instance)
        return None

    def cancel_leftover(self) -> None:
        if self.instance_id is None:
            return
        try:
            if self._instance().status in ("running", "error", "suspended"):
                cancel_instance(self.services, self._id, ADMIN)
        except RmaError:
            pass  # best effort: the scenario's result stands

    @property
    def _id(self) -> int:
        assert self.instance_id is not None
        return self.instance_id

    def _instance(self) -> InstanceDetail:
        return get_instance(self.services, self._id, READER)

    def _context(self, instance: InstanceDetail | None = None) -> str:
        if self.instance_id is None:
            return ""
        try:
            instance = instance or self._instance()
        except RmaError:
            return ""
        shown = f" (status {instance.status}, outcome {show(instance.outcome)}"
        incidents = [i for i in instance.incidents if i.resolved_at is None]
        if incidents:
            shown += "; incidents: " + "; ".join(f"{i.element_id}: {i.message}" for i in incidents)
        return shown + ")"

    def _actor(self, step: Step, default: Actor) -> Actor:
        name = step.options.get("as")
        if name is None:
            return default
        if name in ROLES:
            return Actor(USER, name)
        return Actor(USER, "staff", frozenset({name}))

    def _manager(self, step: Step) -> Actor:
        return self._actor(step, Actor(USER, "manager"))


class UnknownAttachment(RmaError):
    """Data names ``{attachment: ref}`` that no earlier ``attach`` step made."""

    def __init__(self, ref: str, known: list[str]) -> None:
        shown = ", ".join(known) or "none yet"
        super().__init__(f"no attachment {ref!r}: attach it first (attachments so far: {shown})")


def sample_image() -> bytes:
    """A small PNG, a real image the upload checks accept (thumbnail included)."""
    picture = Image.new("RGB", (8, 8), (200, 40, 40))
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()
