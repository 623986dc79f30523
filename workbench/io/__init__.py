"""Files in and out, without Qt: feature-map export, filter banks, kernels, workspaces.

Every write is atomic and refuses to replace an existing file unless asked
(:mod:`workbench.io.atomic`); every reader raises :class:`LoadError` (a ``ValueError``)
naming the file when the content is invalid or truncated. The GUI wires these functions into
dialogs; ``conv-workbench apply`` (:mod:`workbench.batch`) uses them headless.
"""

from workbench.io.atomic import StagedWrites, atomic_write, write_bytes, write_text
from workbench.io.bank import MIGRATIONS, load_bank, migrate, parse_bank, save_bank
from workbench.io.bank_arrays import (
    LAYOUTS,
    LoadedBank,
    bias_path_for,
    detect_layout,
    filters_from_arrays,
    load_bank_npy,
    save_bank_npy,
    stack_filters,
)
from workbench.io.errors import AmbiguousLayoutError, ExportCancelled, ExportError, LoadError
from workbench.io.formats import read_array, read_npz
from workbench.io.kernel_text import format_kernel, load_kernel, parse_kernel, save_kernel
from workbench.io.maps import (
    FORMATS,
    STAGES,
    ExportOptions,
    MapArchive,
    MapItem,
    PlannedFile,
    export_maps,
    load_maps_npz,
    montage_image,
    plan_export,
    select_maps,
)
from workbench.io.model_code import framework_code, keras_code, pytorch_code
from workbench.io.naming import (
    DEFAULT_BUNDLE_PATTERN,
    DEFAULT_PATTERN,
    check_pattern,
    sanitize_name,
)
from workbench.io.workspace import (
    SOURCE_KINDS,
    SourceSpec,
    Workspace,
    load_workspace,
    save_workspace,
)

__all__ = [
    "DEFAULT_BUNDLE_PATTERN", "DEFAULT_PATTERN", "FORMATS", "LAYOUTS", "MIGRATIONS",
    "SOURCE_KINDS", "STAGES", "AmbiguousLayoutError", "ExportCancelled", "ExportError",
    "ExportOptions", "LoadError", "LoadedBank", "MapArchive", "MapItem", "PlannedFile",
    "SourceSpec", "StagedWrites", "Workspace", "atomic_write", "bias_path_for", "check_pattern",
    "detect_layout", "export_maps", "filters_from_arrays", "format_kernel", "framework_code",
    "keras_code", "load_bank", "load_bank_npy", "load_kernel", "load_maps_npz", "load_workspace",
    "migrate", "montage_image", "parse_bank", "parse_kernel", "plan_export", "pytorch_code",
    "read_array", "read_npz", "sanitize_name", "save_bank", "save_bank_npy", "save_kernel",
    "save_workspace", "select_maps", "stack_filters", "write_bytes", "write_text",
]
