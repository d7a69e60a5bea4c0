"""Kedja's process engine: a library with no web framework in it.

`Engine` (in engine.service) is the one entry point: build it with `build_engine(config)`
and call `engine.execute(command)` with a command from engine.commands.
"""
