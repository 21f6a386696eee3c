"""The JSON API: process instances, their audit trails and actions, and messages."""

from __future__ import annotations

from typing import Any

from flask import request

from ...service import (
    instances,
    messages,
)
from ...service.results import (
    Delivery,
    EventInfo,
    InstanceDetail,
    InstanceInfo,
    Page,
)
from ..auth import current_actor, services
from . import bp
from .bodies import (
    ActionBody,
    MessageBody,
    StartBody,
)
from .operations import operation, parse_body
from .params import PAGING, TEXT, int_arg, one_of


@operation(
    bp,
    "post",
    "/process-instances",
    summary="Start an instance",
    returns=InstanceInfo,
    status=201,
    errors=(400, 403, 404, 409),
    body=StartBody,
)
def start_instance() -> InstanceInfo:
    body = parse_body(StartBody)
    return instances.start_instance(
        services(), body.process_key, body.data, current_actor(), body.business_key
    )


@operation(
    bp,
    "get",
    "/process-instances",
    summary="List instances",
    returns=Page[InstanceInfo],
    errors=(400,),
    query={
        "status": one_of(instances.STATUSES, "every status"),
        "process_key": TEXT,
        "business_key": TEXT,
        **PAGING,
    },
)
def list_instances() -> Page[InstanceInfo]:
    return instances.list_instances(
        services(),
        current_actor(),
        status=request.args.get("status") or None,
        process_key=request.args.get("process_key") or None,
        business_key=request.args.get("business_key") or None,
        page=int_arg("page", 1),
        per_page=int_arg("per_page", 50),
    )


@operation(
    bp,
    "get",
    "/process-instances/<int:instance_id>",
    summary="One instance",
    returns=InstanceDetail,
    errors=(404,),
)
def get_instance(instance_id: int) -> InstanceDetail:
    return instances.get_instance(services(), instance_id, current_actor())


@operation(
    bp,
    "get",
    "/process-instances/<int:instance_id>/events",
    summary="Audit trail",
    returns=Page[EventInfo],
    errors=(404,),
)
def instance_events(instance_id: int) -> Page[EventInfo]:
    return instances.list_events(services(), instance_id, current_actor())


def _instance_action(name: str, command: Any) -> None:
    def view(instance_id: int) -> InstanceInfo:
        body = parse_body(ActionBody, required=False)
        result: InstanceInfo = command(services(), instance_id, current_actor(), body.reason)
        return result

    view.__name__ = f"{name}_instance"
    operation(
        bp,
        "post",
        f"/process-instances/<int:instance_id>/{name}",
        summary=f"{name.title()} an instance (managers)",
        returns=InstanceInfo,
        errors=(400, 403, 404, 409),
        body=ActionBody,
    )(view)


_instance_action("cancel", instances.cancel_instance)
_instance_action("suspend", instances.suspend_instance)
_instance_action("resume", instances.resume_instance)


@operation(
    bp,
    "post",
    "/messages",
    summary="Deliver or keep a message",
    returns=Delivery,
    status=202,
    errors=(400, 403, 404, 409),
    body=MessageBody,
)
def deliver_message() -> Delivery:
    body = parse_body(MessageBody)
    return messages.deliver_message(
        services(),
        body.name,
        body.business_key,
        body.payload,
        current_actor(),
        idempotency_key=body.idempotency_key,
    )
