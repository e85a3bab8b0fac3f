"""Is a name a misspelling of ``requires_grad``? One answer for the static rule (TL005)
and the runtime checker; no libcst here, so the runtime workers need not import it."""

from __future__ import annotations

CORRECT = "requires_grad"
KNOWN_TYPOS = frozenset(
    {
        "require_grad", "requires_grads", "require_grads", "requires_gradient", "require_gradient",
        "requires_gradients", "required_grad", "requiresgrad", "requiregrad", "requires_grad_",
        "requieres_grad", "requries_grad", "reqiures_grad", "requres_grad", "requird_grad",
        "requires_gard", "require_gard", "reguires_grad", "requiers_grad", "requies_grad",
    }
)


def is_requires_grad_typo(name: str) -> bool:
    if name == CORRECT or name.startswith("_"):
        return False
    lowered = name.lower()
    if lowered == CORRECT or lowered in KNOWN_TYPOS:
        return True
    # near misses keep the first letter and the `grad` stem: `requires_grid` is another word
    return (
        lowered.startswith("r")
        and ("grad" in lowered or "gard" in lowered)
        and _edit_distance(lowered, CORRECT, 2) <= 2
    )


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, stopping above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]
