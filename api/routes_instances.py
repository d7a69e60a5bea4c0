"""Process instances, administrators' actions on them, the chain of a procurement, and demo
mode's clock."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine import (
    Actor,
    AdvanceDemoClock,
    Forbidden,
    InvalidInput,
    MigrateInstance,
    NotFound,
    ResetInstance,
    ResumeInstance,
    RetryInstance,
    StartInstance,
    SuspendInstance,
    TerminateInstance,
    demo_time,
)
from goteborg.chain import chain as model_chain

from . import access, problems, schemas
from .auth import account, engine, require
from .paging import paged

blp = Blueprint("instances", __name__, url_prefix="/api/v1", description="Process instances")
ACTIONS = {"suspend": SuspendInstance, "resume": ResumeInstance, "terminate": TerminateInstance,
           "retry": RetryInstance}


def _detail(view: dict) -> dict:
    detail = schemas.row_dict(view["instance"])
    detail.update({key: view[key] for key in ("open_tasks", "waiting_for", "linked", "history")})
    return detail


@blp.route("/instances")
class Instances(MethodView):
    @blp.arguments(schemas.InstanceArgs, location="query")
    @problems.documented(blp, 401)
    @blp.response(200, schemas.InstancePage)
    def get(self, args):
        """Instances the caller may see (administrators: all), oldest first."""
        who = account()
        return paged(engine().queries.instances(
            process=args.get("process"), status=args.get("status"), page=args["page"], per_page=args["per_page"],
            organisation=None if who.has("admin") else who.organisation))

    @blp.arguments(schemas.StartArgs)
    @problems.documented(blp, 401, 403, 404, 409, 413)
    @blp.response(201, schemas.InstanceDetail)
    @blp.alt_response(200, schema=schemas.InstanceDetail,
                      description="an earlier request with the same Idempotency-Key started it")
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "maxLength": 200},
                          "description": "the same key from the same caller starts one case only"}])
    def post(self, args):
        """Start an instance of the latest version of a process. Its start form (GET
        /processes/{key}/start-form) checks the data; fields bound to the account are the
        caller's own organisation, whatever is sent."""
        if not any(d.key == args["process"] for d in engine().queries.definitions()):
            raise NotFound(f"no deployed process '{args['process']}'")
        if not access.may_start(args["process"]):
            raise Forbidden(f"your roles may not start '{args['process']}'")
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 0 < len(key) <= 200:
            raise InvalidInput("Idempotency-Key must be 1 to 200 characters")
        started = engine().execute(StartInstance(args["process"], args["data"], args.get("business_key"),
                                                 actor=_actor(), for_others=account().has("admin"),
                                                 idempotency_key=key))
        return _detail(engine().queries.instance(started.id)), 200 if started.replayed else 201


@blp.route("/instances/<instance_id>")
class InstanceView(MethodView):
    @problems.documented(blp, 401, 404)
    @blp.response(200, schemas.InstanceDetail)
    def get(self, instance_id):
        """Status, open tasks, what it waits for, linked instances, history."""
        return _detail(access.instance_view(instance_id))


@blp.route("/instances/<instance_id>/<any(suspend, resume, terminate, retry):action>")
class InstanceAction(MethodView):
    @require("admin")
    @problems.documented(blp, 401, 403, 404, 409)
    @blp.response(200, schemas.InstanceDetail)
    def post(self, instance_id, action):
        """Administrators: suspend, resume, terminate or retry (each audited)."""
        engine().execute(ACTIONS[action](instance_id, _actor()))
        return _detail(engine().queries.instance(instance_id))


@blp.route("/instances/<instance_id>/reset")
class InstanceReset(MethodView):
    @require("admin")
    @blp.arguments(schemas.ResetArgs)
    @problems.documented(blp, 401, 403, 404, 409, 413)
    @blp.response(200, schemas.InstanceDetail)
    def post(self, args, instance_id):
        """Administrators: go back to an earlier user task (it opens again)."""
        engine().execute(ResetInstance(instance_id, args["element_id"], _actor()))
        return _detail(engine().queries.instance(instance_id))


@blp.route("/instances/<instance_id>/migrate")
class InstanceMigrate(MethodView):
    @require("admin")
    @blp.arguments(schemas.MigrateArgs)
    @problems.documented(blp, 401, 403, 404, 409, 413)
    @blp.response(200, schemas.InstanceDetail)
    def post(self, args, instance_id):
        """Administrators: move to a newer version of the process; 409 with the reason if it cannot."""
        engine().execute(MigrateInstance(instance_id, args["version"], _actor()))
        return _detail(engine().queries.instance(instance_id))


def _actor() -> Actor:
    who = account()
    return Actor(who.username, who.organisation)


@blp.route("/chains/<procurement_id>")
class ChainView(MethodView):
    @problems.documented(blp, 401, 404)
    @blp.response(200, schemas.Chain)
    def get(self, procurement_id):
        """The procurement, its suppliers and its participants (those the caller may see)."""
        chain = model_chain(engine(), procurement_id)
        visible = [m for m in chain["participant"] if access.may_see_instance(m["id"])]
        [procurement] = chain["procurement"][:1]
        if not access.may_see_chain(procurement["id"]) and not visible:
            raise NotFound(f"no procurement {procurement_id}")
        return {"procurement": procurement,
                "suppliers": [m for m in chain["supplier"] if account().has("admin", "caseworker")
                              or access.may_see_instance(m["id"])],
                "participants": visible, "participants_not_shown": len(chain["participant"]) - len(visible)}


@blp.route("/admin/stalled")
class Stalled(MethodView):
    @require("admin")
    @blp.arguments(schemas.StallArgs, location="query")
    @problems.documented(blp, 401, 403)
    @blp.response(200, schemas.StallPage)
    def get(self, args):
        """Instances that look stuck, and why (as the last detection found; it runs every minute)."""
        return paged(engine().queries.stalled(args.get("reason"), args["page"], args["per_page"]))


@blp.route("/admin/clock")
class DemoClockView(MethodView):
    @require("admin")
    @problems.documented(blp, 401, 403)
    @blp.response(200, schemas.DemoClock)
    def get(self):
        """The engine's time: in demo mode (`kedja demo`) the demo clock, how far it has been
        moved forward and by whom; otherwise the real time (offset 0)."""
        return demo_time(engine())

    @require("admin")
    @blp.arguments(schemas.DemoClockArgs)
    @problems.documented(blp, 401, 403, 409, 413)
    @blp.response(200, schemas.DemoClock)
    def post(self, args):
        """Demo mode only: move the clock forward by `days` and `hours`; the timers that fell
        due fire at once. 409 outside demo mode (the clock is the real one there)."""
        return engine().execute(AdvanceDemoClock(_actor(), args["days"], args["hours"]))
