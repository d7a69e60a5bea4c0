"""Göteborg's model of employment requirements in public procurement, on top of the generic
engine: what Kedja knows of the model beyond its diagrams (processes/) and forms.

- `roles`: the element roles the model relies on (`kedja:modelRole`, `kedja:followUpPhase`),
  read from the deployed diagrams, and the requirements the engine checks at every deploy;
- `chain`: a procurement with its suppliers and participants.

The engine never imports this package (an import contract keeps it so); this package uses the
engine's public surface only (`engine/__init__.py`). It is installed as a model package: the
entry point `kedja.model` names `MODEL`, whose requirements `EngineConfig.from_env` hands the
engine.
"""
from __future__ import annotations

from dataclasses import dataclass

from .roles import REQUIREMENTS


@dataclass(frozen=True)
class ModelPackage:
    name: str
    requirements: tuple


MODEL = ModelPackage("goteborg", REQUIREMENTS)
