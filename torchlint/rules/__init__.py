"""The rule registry: every rule, one file each, in code order."""

from __future__ import annotations

from torchlint.rules.base import Finding, Rule
from torchlint.rules.tl000_file_not_linted import FileNotLinted
from torchlint.rules.tl001_unregistered_tensor import UnregisteredTensor
from torchlint.rules.tl002_registration_before_super_init import RegistrationBeforeSuperInit
from torchlint.rules.tl003_missing_super_init import MissingSuperInit
from torchlint.rules.tl004_requires_grad_plain_tensor import RequiresGradPlainTensor
from torchlint.rules.tl005_requires_grad_typo import RequiresGradTypo
from torchlint.rules.tl006_inplace_init_outside_no_grad import InplaceInitOutsideNoGrad
from torchlint.rules.tl007_module_in_plain_container import ModuleInPlainContainer
from torchlint.rules.tl008_parameter_in_plain_container import ParameterInPlainContainer
from torchlint.rules.tl009_layer_created_in_forward import LayerCreatedInForward
from torchlint.rules.tl010_buffer_name_conflict import BufferNameConflict
from torchlint.rules.tl011_moved_parameter import MovedParameter
from torchlint.rules.tl012_tensor_stored_after_construction import TensorStoredAfterConstruction
from torchlint.rules.tl101_parameter_shape_mismatch import ParameterShapeMismatch

ALL_RULES: tuple[type[Rule], ...] = (
    FileNotLinted,
    UnregisteredTensor,
    RegistrationBeforeSuperInit,
    MissingSuperInit,
    RequiresGradPlainTensor,
    RequiresGradTypo,
    InplaceInitOutsideNoGrad,
    ModuleInPlainContainer,
    ParameterInPlainContainer,
    LayerCreatedInForward,
    BufferNameConflict,
    MovedParameter,
    TensorStoredAfterConstruction,
)
# Rules only the runtime checker (`--runtime`) reports; the static engine never runs them.
RUNTIME_RULES: tuple[type[Rule], ...] = (ParameterShapeMismatch,)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in (*ALL_RULES, *RUNTIME_RULES)}
FILE_NOT_LINTED = FileNotLinted.code

__all__ = ["ALL_RULES", "RUNTIME_RULES", "RULES_BY_CODE", "FILE_NOT_LINTED", "Finding", "Rule"]
