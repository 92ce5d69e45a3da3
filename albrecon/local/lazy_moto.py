"""Loads moto's Batch task service only if a definition has a Batch task.

moto's Step Functions task factory imports every optimised integration up front; its Batch one
imports ``moto.batch``, which imports all of ``moto.ec2`` (~0.55 s, a third of a local run's
imports). Our definition has no Batch task. A stand-in module takes the Batch service's place
until one is built; building one imports the real module. Checked by tests/local/test_moto_hooks.py.
"""

from __future__ import annotations

import importlib
import sys
import types

BATCH_SERVICE_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch"
)


class _DeferredBatchService:
    def __new__(cls, *args: object, **kwargs: object):
        if sys.modules.get(BATCH_SERVICE_MODULE) is _stand_in:
            del sys.modules[BATCH_SERVICE_MODULE]
        real = importlib.import_module(BATCH_SERVICE_MODULE)
        return real.StateTaskServiceBatch(*args, **kwargs)


_stand_in = types.ModuleType(BATCH_SERVICE_MODULE)
_stand_in.StateTaskServiceBatch = _DeferredBatchService  # type: ignore[attr-defined]


def defer_batch_service() -> None:
    """Before moto's task factory is imported: it then binds the stand-in."""
    if BATCH_SERVICE_MODULE not in sys.modules:
        sys.modules[BATCH_SERVICE_MODULE] = _stand_in
