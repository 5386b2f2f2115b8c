"""The greenmatch web page as a Hugging Face Space (gradio SDK) runs it: ``python app.py``.

The model comes from the ``GREENMATCH_MODEL`` environment variable, a model folder or a Hub
model id (on a Space, set it under Settings → Variables). Without it the quick model trained
by ``greenmatch quickstart`` is used, and the page does not start when that model does not
exist either. The Space installs the dependencies from ``requirements.txt``; this file
imports greenmatch from the folder beside it, so the package itself needs no install.

Locally, ``greenmatch serve`` does the same with ``--model``, ``--host`` and ``--port``.
"""

import os

from greenmatch.models import load_matcher
from greenmatch.web import build_app

demo = build_app(load_matcher(os.environ.get("GREENMATCH_MODEL")))

if __name__ == "__main__":
    demo.launch()
