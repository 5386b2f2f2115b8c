"""greenmatch: match Chinese project, loan and company texts to the green-industry catalogue.

The method: a SimCSE-trained `SentenceTransformer` retrieves a shortlist of catalogue entries,
a `CrossEncoder` with a Tanh head reranks it, and a calibrated threshold on the top score says
whether a text is green at all.
"""

__version__ = "0.1.0"

from greenmatch.catalogue import Catalogue, Entry
from greenmatch.errors import GreenmatchError
from greenmatch.labelled import LabelledText, load_labelled

__all__ = ["Catalogue", "Entry", "GreenmatchError", "LabelledText", "load_labelled", "__version__"]


def __getattr__(name):
    # The matcher pulls in torch and sentence-transformers; import it only when asked for.
    if name == "Matcher":
        from greenmatch.matcher import Matcher

        return Matcher
    raise AttributeError(f"module 'greenmatch' has no attribute {name!r}")
