"""SpiffWorkflow's script engine, with Kedja's rules: expressions through the in-process
sandbox, scripts through the worker pool (those of plain assignments as expressions, in
process), failures named by element and line."""
from __future__ import annotations

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .. import sandbox
from ..errors import SandboxViolation
from ..script_pool import POOL, ScriptLimitExceeded


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Plugs the restricted evaluator and the script pool into SpiffWorkflow."""

    def evaluate(self, expression, context, external_context=None):
        return sandbox.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        result = sandbox.run_assignments(script, context, external_context)
        if result is None:  # anything but plain assignments: in a worker, under the OS's limits
            result = POOL.run(script, context, external_context)
        context.clear()
        context.update(result)
        return True

    def call_service(self, context, **kwargs):
        raise SandboxViolation("service tasks are not supported")


def _element(task) -> str:
    spec = task.task_spec
    return f"'{spec.bpmn_name}' ({spec.bpmn_id})" if spec.bpmn_name else f"'{spec.bpmn_id}'"


class KedjaScriptEngine(PythonScriptEngine):
    """Script failures read as the administrator sees them: which element, which line, why."""

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptLimitExceeded as err:
            raise WorkflowTaskException(f"Skriptet i {_element(task)} stoppades: {err}", task=task) from None
        except sandbox.ScriptFailed as err:
            lines = script.splitlines()
            error_line = lines[err.line - 1].strip() if 0 < err.line <= len(lines) else ""
            where = f" på rad {err.line} ({error_line})" if error_line else ""
            raise WorkflowTaskException(f"Skriptet i {_element(task)} misslyckades{where}: {err.message}", task=task,
                                        line_number=err.line, error_line=error_line) from None
        except SandboxViolation as err:
            raise WorkflowTaskException(f"Skriptet i {_element(task)} nekades: {err}", task=task) from None
        except Exception as err:
            raise self.create_task_exec_exception(task, script, err) from err


SCRIPT_ENGINE = KedjaScriptEngine(environment=SandboxEnvironment())
