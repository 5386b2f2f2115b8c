"""The interface every ranker shares: baselines, the retriever alone and the full matcher.

Evaluation only needs a ranked list of entry codes per text and one score per text that says
how green the text looks, so any ranker that returns `Ranking` objects can be evaluated,
plotted and compared.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Protocol, Sequence


@dataclass
class Ranking:
    """The ranked entries for one text.

    Args:
        codes: entry codes, best first (the top ``top_k``).
        scores: the ranking score of each code, same order.
        verdict_score: the score compared with the not-green threshold; higher means greener.
    """

    codes: List[str]
    scores: List[float]
    verdict_score: float
    details: dict = field(default_factory=dict)


class Ranker(Protocol):
    """Anything that ranks catalogue entries for texts.

    ``name`` labels the ranker in reports; ``threshold`` is its calibrated not-green threshold
    on ``verdict_score``, or None when it has none.
    """

    name: str
    threshold: Optional[float]

    def rank(self, texts: Sequence[str], top_k: int = 10) -> List[Ranking]:
        ...
