"""Client side of the Hub tests, run by ``tests/test_hub.py`` in a fresh Python process.

huggingface_hub reads ``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HOME`` once, when it is first
imported, and the pytest process has imported it long before a test starts its server. So each
client step runs here, in a subprocess whose environment points at the test server:

    python tests/hub_client.py ACTION JSON_ARGUMENTS

The last line of stdout is ``RESULT`` followed by a JSON object. A `HubError` is reported as
``{"error": "HubError", "message": ...}``; the ``cli`` action exits with the CLI's exit code.
"""

import json
import sys

import numpy as np


def _result(payload: dict) -> None:
    print("RESULT " + json.dumps(payload, ensure_ascii=False), flush=True)


def run_cli(arguments: dict) -> int:
    """Run ``greenmatch`` with only the push and pull subcommands, so the other subcommand modules need not import."""
    from greenmatch import cli

    cli.COMMANDS = ("push", "pull")
    return cli.main(arguments["argv"])


def call(arguments: dict) -> None:
    """Call a function of `greenmatch.hub`; the argument ``catalogue`` set to "default" becomes the embedded catalogue."""
    from greenmatch import hub
    from greenmatch.catalogue import Catalogue
    from greenmatch.errors import HubError

    kwargs = dict(arguments.get("kwargs", {}))
    if kwargs.get("catalogue") == "default":
        kwargs["catalogue"] = Catalogue.default()
    try:
        value = getattr(hub, arguments["function"])(*arguments.get("args", []), **kwargs)
    except HubError as error:
        return _result({"error": "HubError", "message": str(error)})
    _result({"value": str(value)})


def compare(arguments: dict) -> None:
    """Load the local model and the published one, and report what each produces for the same texts."""
    import torch
    from sentence_transformers import CrossEncoder, SentenceTransformer

    from greenmatch.matcher import Matcher

    texts = arguments["texts"]
    local = Matcher.from_pretrained(arguments["local_dir"])
    pulled = Matcher.from_pretrained(arguments["repo_id"])
    local_results = local.match(texts, top_k=5)
    pulled_results = pulled.match(texts, top_k=5)

    cross_encoder = CrossEncoder(arguments["repo_id"])
    pairs = [(text, entry.matching_text) for text in texts for entry in local.catalogue.entries[:5]]
    retriever = SentenceTransformer(arguments["retriever_repo_id"])

    report = {
        "pulled_path": str(pulled.path),
        "local_codes": [[match.code for match in result.matches] for result in local_results],
        "pulled_codes": [[match.code for match in result.matches] for result in pulled_results],
        "local_scores": [[match.score for match in result.matches] for result in local_results],
        "pulled_scores": [[match.score for match in result.matches] for result in pulled_results],
        "local_verdicts": [result.verdict_score for result in local_results],
        "pulled_verdicts": [result.verdict_score for result in pulled_results],
        "pulled_threshold": pulled.config.threshold,
        "local_threshold": local.config.threshold,
        "pulled_entries": len(pulled.catalogue),
        "activation": type(cross_encoder.activation_fn).__name__,
        "cross_encoder_difference": float(
            np.max(np.abs(cross_encoder.predict(pairs) - local.cross_encoder.predict(pairs, activation_fn=torch.nn.Tanh())))
        ),
        "retriever_difference": float(
            np.max(np.abs(retriever.encode(texts, normalize_embeddings=True) - local.retriever.encode(texts, normalize_embeddings=True)))
        ),
    }
    if arguments.get("push_repo_id"):
        report["matcher_push_url"] = local.push_to_hub(arguments["push_repo_id"])
    _result(report)


def catalogue(arguments: dict) -> None:
    """Load a published catalogue with `datasets.load_dataset` and with `load_catalogue_from_hub`."""
    from datasets import load_dataset

    from greenmatch.hub import load_catalogue_from_hub

    rows = load_dataset(arguments["repo_id"], split="train")
    loaded = load_catalogue_from_hub(arguments["repo_id"])
    _result(
        {
            "dataset_rows": len(rows),
            "dataset_columns": rows.column_names,
            "dataset_codes": list(rows["code"]),
            "dataset_keywords": rows[0]["keywords"],
            "catalogue_codes": loaded.codes,
            "catalogue_texts": [entry.text for entry in loaded],
            "catalogue_title": loaded.title,
            "catalogue_name": loaded.name,
        }
    )


ACTIONS = {"call": call, "compare": compare, "catalogue": catalogue}

if __name__ == "__main__":
    action, arguments = sys.argv[1], json.loads(sys.argv[2])
    if action == "cli":
        sys.exit(run_cli(arguments))
    ACTIONS[action](arguments)
