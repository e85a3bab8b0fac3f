"""What torchlint knows about torch's API (and well-known third-party bases), by name.

Everything here is keyed by fully qualified dotted names (``torch.zeros``), the form
``analysis.names`` produces from any import spelling.
"""

from __future__ import annotations

from typing import AbstractSet

from torchlint.analysis.module_bases import THIRD_PARTY_MODULE_BASES, is_fastai_module

# torch.nn names that are not Modules.
_NN_NON_MODULES = frozenset(
    {"Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "UninitializedTensorMixin"}
)


def is_module_base(dotted: str, extra: AbstractSet[str] = frozenset()) -> bool:
    """Is ``dotted`` the qualified name of torch.nn.Module or a known subclass of it?"""
    if dotted in extra or dotted in THIRD_PARTY_MODULE_BASES or is_fastai_module(dotted):
        return True
    parts = dotted.split(".")
    last = parts[-1]
    if not last[:1].isupper() or last in _NN_NON_MODULES:
        return False
    if parts[0] == "transformers" and last.endswith("PreTrainedModel"):
        return True
    if parts[:2] == ["torch", "nn"]:
        if len(parts) == 3:
            return True
        if parts[2] in ("modules", "parallel", "quantized", "qat", "intrinsic") and len(parts) <= 5:
            return True
    if parts[:3] == ["torch", "ao", "nn"]:
        return True
    return False


# Calls that create a plain tensor (never a Parameter).
TENSOR_FACTORIES = frozenset(
    "torch." + name
    for name in """
    zeros ones empty full rand randn randint randperm arange range linspace logspace eye
    tensor as_tensor asarray from_numpy frombuffer from_dlpack zeros_like ones_like
    empty_like full_like rand_like randn_like randint_like empty_strided complex polar
    tril_indices triu_indices bernoulli multinomial normal poisson
    cat concat concatenate stack hstack vstack dstack column_stack row_stack where
    exp exp2 expm1 log log2 log10 log1p sin cos tan asin acos atan atan2 sinh cosh tanh
    sqrt rsqrt pow square abs neg sign sigmoid logit erf erfc erfinv reciprocal floor ceil round
    trunc frac clamp clip clamp_min clamp_max lerp
    matmul mm bmm outer ger einsum tensordot kron cross dot inner mv addmm baddbmm cdist
    tril triu diag diagonal diag_embed diagflat flip fliplr flipud roll rot90
    cumsum cumprod sum mean prod std var norm logsumexp softmax log_softmax
    repeat_interleave tile broadcast_to flatten unflatten reshape squeeze unsqueeze
    transpose swapaxes permute movedim t narrow index_select gather masked_fill
    masked_select take clone detach cartesian_prod combinations bucketize searchsorted
    logical_not logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_not
    eq ne lt le gt ge isclose isnan isinf isfinite minimum maximum fmod remainder
    div true_divide floor_divide mul multiply add sub subtract view_as_real view_as_complex
    hann_window hamming_window blackman_window bartlett_window kaiser_window
    FloatTensor DoubleTensor HalfTensor BFloat16Tensor LongTensor IntTensor ShortTensor
    ByteTensor CharTensor BoolTensor Tensor
    """.split()
) | frozenset(
    {
        "torch.autograd.Variable",
        "torch.autograd.variable.Variable",
        "torch.cuda.FloatTensor",
        "torch.cuda.LongTensor",
        "torch.cuda.HalfTensor",
        "torch.cuda.DoubleTensor",
        "torch.cuda.BoolTensor",
        "torch.cuda.IntTensor",
        "torch.cuda.ByteTensor",
    }
)

# Complex tensors: calls that make one, dtypes that ask for one, and the calls and methods
# whose result is real even when their input is complex.
COMPLEX_FACTORIES = frozenset(
    {"torch.polar", "torch.complex", "torch.view_as_complex"}
    | {f"torch.fft.{name}" for name in "fft fft2 fftn ifft ifft2 ifftn rfft rfft2 rfftn ihfft ihfft2 ihfftn".split()}
)
COMPLEX_DTYPES = frozenset(
    f"torch.{name}" for name in "cfloat cdouble chalf complex32 complex64 complex128".split()
)
COMPLEX_METHODS = frozenset({"cfloat", "cdouble", "chalf"})
REAL_FROM_COMPLEX = frozenset(
    f"torch.{name}" for name in """view_as_real abs angle real imag isnan isinf isfinite isclose eq ne lt le gt ge
    logical_not logical_and logical_or logical_xor""".split()
) | frozenset({"torch.fft.irfft", "torch.fft.irfft2", "torch.fft.irfftn", "torch.fft.hfft", "torch.fft.fftfreq",
               "torch.fft.rfftfreq"})
REAL_METHODS = frozenset({"abs", "angle", "float", "half", "double", "bfloat16", "long", "int", "bool",
                          "isnan", "isinf", "isfinite", "eq", "ne", "lt", "le", "gt", "ge"})

# Namespaces whose functions all return tensors.
# NumPy calls that make an ndarray (never a tensor: register_buffer rejects one).
NUMPY_ARRAY_FACTORIES = frozenset(
    "numpy." + name
    for name in """
    array asarray ascontiguousarray zeros ones empty full zeros_like ones_like empty_like full_like
    arange linspace logspace geomspace eye identity load loadtxt genfromtxt fromfile frombuffer
    concatenate stack vstack hstack dstack tile diag tril triu outer
    """.split()
)
NUMPY_NOT_ARRAYS = frozenset({"numpy.random.seed", "numpy.random.default_rng", "numpy.random.RandomState",
                              "numpy.random.get_state", "numpy.random.set_state", "numpy.random.Generator"})

TENSOR_NAMESPACES = ("torch.nn.functional.", "torch.fft.", "torch.linalg.", "torch.special.")

# Calls that return a tuple of tensors.
TENSOR_TUPLE_FACTORIES = frozenset(
    {
        "torch.meshgrid", "torch.chunk", "torch.split", "torch.unbind", "torch.broadcast_tensors",
        # decompositions (what a fit() computes a basis with) return a tuple of tensors
        "torch.svd", "torch.svd_lowrank", "torch.pca_lowrank", "torch.linalg.svd", "torch.linalg.eigh",
        "torch.linalg.eig", "torch.linalg.qr", "torch.qr", "torch.linalg.slogdet", "torch.slogdet",
        "torch.std_mean", "torch.var_mean", "torch.lu", "torch.linalg.lu", "torch.linalg.lu_factor",
    }
)
# Tensor methods with the same result: `t.chunk(2)`, `X.svd()`. Selections (`sort`, `topk`) are
# left unknown: their results are mostly indices used while building, not state.
TENSOR_TUPLE_METHODS = frozenset({"chunk", "split", "unbind", "tensor_split", "svd", "qr", "slogdet", "lu"})

PARAMETER_CONSTRUCTORS = frozenset(
    {
        "torch.nn.Parameter",
        "torch.nn.parameter.Parameter",
        "torch.nn.UninitializedParameter",
        "torch.nn.parameter.UninitializedParameter",
    }
)
BUFFER_CONSTRUCTORS = frozenset(
    {"torch.nn.Buffer", "torch.nn.parameter.Buffer", "torch.nn.UninitializedBuffer", "torch.nn.parameter.UninitializedBuffer"}
)

# torch.nn.init.* fill their first argument in place and return it.
INIT_NAMESPACE = "torch.nn.init."

# Tensor methods that do not return a tensor.
NON_TENSOR_METHODS = frozenset(
    """
    item tolist size dim ndimension numel nelement numpy element_size data_ptr stride
    storage untyped_storage storage_offset is_contiguous is_floating_point is_complex
    is_signed get_device register_hook backward type sort max min topk kthvalue median
    mode unique unique_consecutive chunk split tensor_split unbind equal allclose
    __len__ __repr__ __str__ __format__ dim_order
    """.split()
)
# Tensor attributes that are tensors.
TENSOR_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "data", "real", "imag"})

# Attributes of standard layers that are Parameters.
LAYER_PARAMETERS = frozenset({"weight", "bias", "in_proj_weight", "in_proj_bias"})

# Keyword arguments of tensor factories that make requires_grad=True.
REQUIRES_GRAD_KEYWORD = "requires_grad"


# torch.nn Modules with no parameters, no buffers and no train/eval behaviour.
_STATELESS = frozenset(
    """
    Identity Flatten Unflatten ReLU ReLU6 LeakyReLU ELU SELU CELU GELU SiLU Mish Sigmoid Tanh
    Hardtanh Hardswish Hardsigmoid Hardshrink Softshrink Tanhshrink Softplus Softsign
    LogSigmoid Softmax Softmax2d LogSoftmax Softmin Threshold GLU MaxPool1d MaxPool2d
    MaxPool3d AvgPool1d AvgPool2d AvgPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d
    AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d LPPool1d
    LPPool2d LPPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d PixelShuffle PixelUnshuffle
    Upsample UpsamplingNearest2d UpsamplingBilinear2d ChannelShuffle ZeroPad1d ZeroPad2d
    ZeroPad3d ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d ReflectionPad2d
    ReflectionPad3d ReplicationPad1d ReplicationPad2d ReplicationPad3d CircularPad1d
    CircularPad2d CircularPad3d Fold Unfold CosineSimilarity PairwiseDistance
    L1Loss MSELoss SmoothL1Loss HuberLoss KLDivLoss CTCLoss MarginRankingLoss
    HingeEmbeddingLoss CosineEmbeddingLoss TripletMarginLoss TripletMarginWithDistanceLoss
    PoissonNLLLoss GaussianNLLLoss SoftMarginLoss MultiLabelMarginLoss
    BCELoss BCEWithLogitsLoss CrossEntropyLoss NLLLoss MultiLabelSoftMarginLoss MultiMarginLoss
    """.split()
)
# Constructor arguments a torch.nn layer registers as the very object passed (a buffer):
# layer -> {keyword: position}. A tensor passed there is saved and moved through the layer.
# (``Embedding(_weight=t)`` and ``from_pretrained(t)`` wrap ``t`` in a new Parameter object.)
REGISTERED_ARGUMENTS = {
    "CrossEntropyLoss": {"weight": 0}, "NLLLoss": {"weight": 0}, "NLLLoss2d": {"weight": 0},
    "BCELoss": {"weight": 0}, "BCEWithLogitsLoss": {"weight": 0, "pos_weight": 4},
    "MultiLabelSoftMarginLoss": {"weight": 0}, "MultiMarginLoss": {"weight": 2},
}


def registered_arguments(dotted: str) -> dict[str, int]:
    """``torch.nn.CrossEntropyLoss`` -> {"weight": 0}: the arguments the layer registers."""
    parts = dotted.split(".")
    return REGISTERED_ARGUMENTS.get(parts[-1], {}) if parts[:2] == ["torch", "nn"] else {}


# Arguments that give an otherwise stateless module a buffer (a loss's class weights).
_STATE_ARGUMENTS = frozenset({"weight", "pos_weight"})


def is_stateless_module(dotted: str, keywords: AbstractSet[str] = frozenset()) -> bool:
    parts = dotted.split(".")
    if parts[:2] != ["torch", "nn"] or parts[-1] not in _STATELESS:
        return False
    return not (keywords & _STATE_ARGUMENTS)


# torch.nn layers that own parameters, and those that own them only when affine.
_PARAMETERISED = frozenset(
    """
    Linear Bilinear LazyLinear Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d
    ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d
    LazyConvTranspose2d LazyConvTranspose3d Embedding EmbeddingBag RNN LSTM GRU RNNCell
    LSTMCell GRUCell MultiheadAttention Transformer TransformerEncoder TransformerDecoder
    TransformerEncoderLayer TransformerDecoderLayer PReLU
    """.split()
)
_AFFINE_BY_DEFAULT = {
    "LayerNorm": "elementwise_affine", "RMSNorm": "elementwise_affine", "GroupNorm": "affine",
    "BatchNorm1d": "affine", "BatchNorm2d": "affine", "BatchNorm3d": "affine", "SyncBatchNorm": "affine",
    "LazyBatchNorm1d": "affine", "LazyBatchNorm2d": "affine", "LazyBatchNorm3d": "affine",
}
_AFFINE_IF_ASKED = {"InstanceNorm1d": "affine", "InstanceNorm2d": "affine", "InstanceNorm3d": "affine",
                    "LazyInstanceNorm1d": "affine", "LazyInstanceNorm2d": "affine", "LazyInstanceNorm3d": "affine"}


CONTAINER_MODULES = frozenset({"Sequential", "ModuleList", "ModuleDict"})


def owns_parameters(dotted: str, keyword_values: dict) -> bool:
    """Does ``torch.nn.<Layer>(...)`` with these keyword arguments (name -> source text)
    create parameters?"""
    parts = dotted.split(".")
    if parts[:2] != ["torch", "nn"]:
        return False
    layer = parts[-1]
    if layer in _PARAMETERISED:
        return True
    if layer in _AFFINE_BY_DEFAULT:
        return keyword_values.get(_AFFINE_BY_DEFAULT[layer], "True") != "False"
    if layer in _AFFINE_IF_ASKED:
        return keyword_values.get(_AFFINE_IF_ASKED[layer], "False") == "True"
    return False


def namesake_owns_parameters(dotted: str, keyword_values: dict) -> bool:
    """A layer of another package named exactly like a ``torch.nn`` layer that creates
    parameters (``zeta.nn.RMSNorm``, ``apex.normalization.LayerNorm``) re-implements that
    layer: it creates parameters too."""
    parts = dotted.split(".")
    if len(parts) < 2 or parts[0] == "torch":
        return False
    return owns_parameters("torch.nn." + parts[-1], keyword_values)


# Layers of other libraries that create parameters when built, by the module paths users
# import them from. DGL's graph layers: a `Set2Set` or `GraphConv` built in `forward`
# gets fresh random weights on every call, like an `nn.LSTM` would.
_DGL_PARAMETERISED = frozenset(
    """
    GraphConv RelGraphConv TAGConv GATConv GATv2Conv EGATConv EdgeConv SAGEConv SGConv
    GatedGraphConv GMMConv ChebConv NNConv GCN2Conv HGTConv EGNNConv PNAConv CFConv DotGatConv
    Set2Set SetTransformerEncoder SetTransformerDecoder WeightAndSum
    """.split()
)


def third_party_owns_parameters(dotted: str) -> bool:
    """Is ``dotted`` a layer of a known model library that creates parameters?"""
    parts = dotted.split(".")
    return len(parts) >= 3 and parts[0] == "dgl" and parts[1] == "nn" and parts[-1] in _DGL_PARAMETERISED


# Attributes every nn.Module instance has: registering one of these names raises KeyError.
MODULE_ATTRIBUTES = frozenset(
    {
        "training", "forward", "parameters", "buffers", "modules", "children", "state_dict",
        "to", "cuda", "cpu", "eval", "train", "apply", "half", "float", "double", "type",
        "zero_grad", "named_parameters", "named_buffers", "named_modules", "named_children",
        "register_buffer", "register_parameter", "add_module", "load_state_dict",
        "requires_grad_", "dump_patches", "call_super_init", "bfloat16", "share_memory",
        "extra_repr", "get_submodule", "get_parameter", "get_buffer", "register_module",
        "to_empty", "ipu", "xpu", "mtia",
    }
)
