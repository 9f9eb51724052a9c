"""The migration Lambda, behind template.yaml's DatabaseMigration custom resource: `alembic upgrade head`
on each deploy that changes the migrations, and always exactly one answer to CloudFormation.

Every failure (settings, secret, network, a failing revision) is answered FAILED with its reason, and a
watchdog answers FAILED shortly before the function would time out, so the stack never waits for an
answer that cannot come. What to do and what to answer is decided in ``migrate_plan`` (pure).
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from migrate_alembic import packaged_hash
from migrate_deps import get_migrator
from migrate_plan import CustomResourceRequest, Failed, Result, Skipped, Step, plan, respond
from migrate_reply import CloudFormationReply

from customersignal.observability import logger

# time kept back from the function's timeout for the watchdog's answer (one PUT takes at most 10 s)
REPLY_MARGIN_S = 20.0


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = CustomResourceRequest.model_validate(event)
    logger.append_keys(request_type=request.request_type, cfn_request_id=request.request_id)
    reply = CloudFormationReply(request.response_url)
    budget_s = max(0.0, context.get_remaining_time_in_millis() / 1000 - REPLY_MARGIN_S)
    late = Failed(
        f"no result within {budget_s:.0f} s (the function's time limit); the running revision may still commit"
    )
    watchdog = threading.Timer(budget_s, _answer_quietly, (reply, respond(request, late)))
    watchdog.daemon = True
    watchdog.start()
    try:
        answer = respond(request, _run(request))
    finally:
        watchdog.cancel()
    reply.send(answer)
    return answer


def _run(request: CustomResourceRequest) -> Result:
    try:
        decision = plan(request, packaged_hash())
        logger.info("plan", extra={"step": decision.step, "reason": decision.reason})
        if decision.step is Step.SKIP:
            return Skipped(decision.reason)
        if decision.step is Step.REFUSE:
            return Failed(decision.reason)
        return get_migrator().upgrade()
    except Exception as error:  # noqa: BLE001 - CloudFormation must hear of every failure, or it waits
        logger.exception("migration failed")
        return Failed(f"{type(error).__name__}: {error}")


def _answer_quietly(reply: CloudFormationReply, answer: dict[str, Any]) -> None:
    """The watchdog's answer; its failure is logged (a thread's exception would only be printed)."""
    try:
        if reply.send(answer):
            logger.error("answered FAILED before the function's timeout", extra={"reason": answer["Reason"]})
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("the watchdog could not answer CloudFormation")
