"""SpiffWorkflow, fenced: the only package in engine/ and api/ that imports it.

- `patches`: what Kedja changes in SpiffWorkflow (the step's time and zone, the iterators'
  depth), applied once at import and checked by tests/unit/test_spiff__patches.py;
- `parsing`: SpiffWorkflow's BPMN parser (engine/definitions.py reads the XML and Kedja's
  metadata);
- `workflow`: build, step, read back and migrate instances;
- `serialization`: the stored state (run state only; the spec comes from the deployed version);
- `history`, `resets`: the history cut and what a reset may reopen after it;
- `script_engine`: SpiffWorkflow's script engine with the sandbox and the script pool.
An upgrade of SpiffWorkflow touches this package and its tests only.
"""
from . import patches  # noqa: F401 (applied before any workflow is built)
