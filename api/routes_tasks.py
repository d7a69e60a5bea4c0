"""The task inbox: list, read (with form and data), claim, release, complete."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from engine import Actor, ClaimTask, CompleteTask, NotYours, ReleaseTask

from . import access, problems, schemas
from .auth import account, engine, require
from .paging import paged

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="User tasks")
WORKERS = ("caseworker", "supplier", "admin")


def _actor() -> Actor:
    who = account()
    return Actor(who.username, who.organisation)


@blp.route("")
class Tasks(MethodView):
    @require(*WORKERS)
    @blp.arguments(schemas.TaskArgs, location="query")
    @problems.documented(blp, 401, 403)
    @blp.response(200, schemas.TaskPage)
    def get(self, args):
        """My tasks (claimed by or done by me) or my organisation's, oldest first."""
        who = account()
        return paged(engine().queries.inbox(who.organisation, who.username, scope=args["scope"],
                                            state=args["state"], process=args.get("process"),
                                            page=args["page"], per_page=args["per_page"]))


@blp.route("/<task_id>")
class Task(MethodView):
    @problems.documented(blp, 401, 404)
    @blp.response(200, schemas.TaskDetail)
    def get(self, task_id):
        """The task, its form (choices filled in now) and the data it sees."""
        task = access.task_row(task_id, with_data=True)
        view = schemas.row_dict(task)
        view["form"] = engine().queries.task_form(task_id, engine().model_settings)
        view["data"] = engine().queries.task_data(task_id) if task.state == "open" else {}
        return view


@blp.route("/<task_id>/claim")
class Claim(MethodView):
    @problems.documented(blp, 401, 403, 404, 409)
    @blp.response(200, schemas.Task)
    def post(self, task_id):
        access.task_row(task_id)
        engine().execute(ClaimTask(task_id, _actor()))
        return engine().queries.task(task_id)


@blp.route("/<task_id>/release")
class Release(MethodView):
    @problems.documented(blp, 401, 403, 404, 409)
    @blp.response(200, schemas.Task)
    def post(self, task_id):
        access.task_row(task_id)
        engine().execute(ReleaseTask(task_id, _actor()))
        return engine().queries.task(task_id)


@blp.route("/<task_id>/complete")
class Complete(MethodView):
    @blp.arguments(schemas.CompleteArgs)
    @problems.documented(blp, 401, 403, 404, 409, 413)
    @blp.response(200, schemas.Task)
    def post(self, args, task_id):
        """Complete with form data: 422 with field errors, 409 if done or changed meanwhile."""
        # The engine checks the organisation in the step's own transaction; only a refusal needs
        # the visibility check (404 for a task the caller may not see, else 403).
        try:
            return engine().execute(CompleteTask(task_id, args["data"], _actor())).row
        except NotYours:
            access.task_row(task_id)
            raise
