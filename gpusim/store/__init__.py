"""The results store: every run and sweep point, kept in SQLite (docs/sweeps.md).

``ResultStore`` opens the file (``default_store_path()`` unless told otherwise);
``NewRecord.of_result`` turns a simulated scenario into a record; ``export_csv`` writes
every record as one CSV table.
"""

from gpusim.store.db import (
    SCHEMA_VERSION,
    STORE_ENV,
    ResultStore,
    StoreError,
    default_store_path,
)
from gpusim.store.export import export_csv
from gpusim.store.records import (
    NewRecord,
    RecordKind,
    Status,
    StoredRecord,
    point_text,
    result_metrics,
    scenario_hash,
    unresolved_hash,
)

__all__ = [
    "SCHEMA_VERSION",
    "STORE_ENV",
    "NewRecord",
    "RecordKind",
    "ResultStore",
    "Status",
    "StoreError",
    "StoredRecord",
    "default_store_path",
    "export_csv",
    "point_text",
    "result_metrics",
    "scenario_hash",
    "unresolved_hash",
]
