"""The rule registry: every rule, one file each, in code order."""

from __future__ import annotations

from torchlint.rules.base import Finding, Rule
from torchlint.rules.tl000_file_not_linted import FileNotLinted
from torchlint.rules.tl001_unregistered_tensor import UnregisteredTensor
from torchlint.rules.tl002_registration_before_super_init import RegistrationBeforeSuperInit
from torchlint.rules.tl003_missing_super_init import MissingSuperInit
from torchlint.rules.tl007_module_in_plain_container import ModuleInPlainContainer
from torchlint.rules.tl008_parameter_in_plain_container import ParameterInPlainContainer
from torchlint.rules.tl010_buffer_name_conflict import BufferNameConflict
from torchlint.rules.tl101_parameter_shape_mismatch import ParameterShapeMismatch

ALL_RULES: tuple[type[Rule], ...] = (
    FileNotLinted,
    UnregisteredTensor,
    RegistrationBeforeSuperInit,
    MissingSuperInit,
    ModuleInPlainContainer,
    ParameterInPlainContainer,
    BufferNameConflict,
)
# Rules only the runtime checker (`--runtime`) reports; the static engine never runs them.
RUNTIME_RULES: tuple[type[Rule], ...] = (ParameterShapeMismatch,)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in (*ALL_RULES, *RUNTIME_RULES)}
FILE_NOT_LINTED = FileNotLinted.code

__all__ = ["ALL_RULES", "RUNTIME_RULES", "RULES_BY_CODE", "FILE_NOT_LINTED", "Finding", "Rule"]
