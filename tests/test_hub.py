"""Tests for publishing and downloading models and catalogues (``greenmatch.hub``, push, pull).

Every Hub call goes to `HubServer`, a Hub-API-compatible server started on 127.0.0.1 by this
module. huggingface_hub reads ``HF_ENDPOINT`` when it is first imported, and this process
imported it long before the server existed. So each client step runs ``tests/hub_client.py``
in a fresh process whose ``HF_ENDPOINT`` points at the server and whose ``HF_HOME`` is an
empty folder, with no cached files and no saved token.
"""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import DatasetCard, ModelCard

from hub_server import READ_TOKEN, WRITE_TOKEN, HubServer

CLIENT = Path(__file__).resolve().parent / "hub_client.py"
REPO_ID = "org/greenmatch"
RETRIEVER_REPO_ID = "org/greenmatch-retriever"
CATALOGUE_REPO_ID = "org/gigc2019"
TEXTS = ["屋顶分布式光伏电站项目", "新能源汽车电池拆解回收", "城市污水处理厂提标改造", "餐饮服务"]
# Variables that would point a client elsewhere or change how it authenticates.
HUB_VARIABLES = ("HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_EVALUATE_OFFLINE", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_TOKEN_PATH", "HUGGING_FACE_HUB_TOKEN")


# --- helpers --------------------------------------------------------------------------------------


def folder_digest(folder) -> dict:
    """Map every file under a folder to the SHA-256 of its bytes."""
    folder = Path(folder)
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*")) if path.is_file()}


def closed_port() -> int:
    """Return a local port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_client(action, arguments, endpoint, home, token=WRITE_TOKEN, timeout=600):
    """Run one client step in a fresh process; return the completed process and its RESULT object."""
    env = {key: value for key, value in os.environ.items() if key not in HUB_VARIABLES}
    env.update(
        HF_ENDPOINT=endpoint,
        HF_HOME=str(home),
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(CLIENT.parent.parent), env.get("PYTHONPATH")])),
    )
    if token is not None:
        env["HF_TOKEN"] = token
    process = subprocess.run(
        [sys.executable, str(CLIENT), action, json.dumps(arguments, ensure_ascii=False)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    result = json.loads(lines[-1][len("RESULT ") :]) if lines else None
    if action != "cli" and result is None:
        raise AssertionError(f"client step {action} printed no result (exit {process.returncode}):\n{process.stderr[-3000:]}")
    return process, result


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with HubServer() as hub:
        yield hub


@pytest.fixture()
def home(tmp_path):
    """An empty HF_HOME: no cached downloads and no saved token."""
    folder = tmp_path / "hf-home"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory, tiny_model_dir):
    """A copy of the tiny model that the push tests publish."""
    folder = tmp_path_factory.mktemp("push") / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


@pytest.fixture(scope="module")
def pushed(server, model_copy, tmp_path_factory):
    """Publish the model copy and its catalogue with ``greenmatch push``; return what the push left behind."""
    before = folder_digest(model_copy)
    argv = ["push", str(model_copy), "--repo-id", REPO_ID, "--catalogue-repo-id", CATALOGUE_REPO_ID]
    process, _ = run_client("cli", {"argv": argv}, server.url, tmp_path_factory.mktemp("hf-home"))
    return {"process": process, "before": before, "after": folder_digest(model_copy)}


@pytest.fixture(scope="module")
def pulled(server, pushed, model_copy, tmp_path_factory):
    """Load the published model in a fresh process with an empty cache, beside the local model."""
    arguments = {
        "local_dir": str(model_copy),
        "repo_id": REPO_ID,
        "retriever_repo_id": RETRIEVER_REPO_ID,
        "texts": TEXTS,
        "push_repo_id": "org/greenmatch-copy",
    }
    _, result = run_client("compare", arguments, server.url, tmp_path_factory.mktemp("hf-home"))
    return result


@pytest.fixture(scope="module")
def published_catalogue(server, pushed, tmp_path_factory):
    _, result = run_client("catalogue", {"repo_id": CATALOGUE_REPO_ID}, server.url, tmp_path_factory.mktemp("hf-home"))
    return result


def push_and_report(server, home, folder, repo_id, token=WRITE_TOKEN, endpoint=None):
    """Run ``greenmatch push`` and return its exit code, stderr and the folder digests before and after."""
    before = folder_digest(folder)
    process, _ = run_client("cli", {"argv": ["push", str(folder), "--repo-id", repo_id]}, endpoint or server.url, home, token=token)
    return {"exit": process.returncode, "stderr": process.stderr, "before": before, "after": folder_digest(folder)}


# --- publishing -----------------------------------------------------------------------------------------


def test_push_exit_code(pushed):
    assert pushed["process"].returncode == 0, pushed["process"].stderr[-3000:]


def test_push_output_chinese(server, pushed):
    assert f"已发布模型：{server.url}/{REPO_ID}" in pushed["process"].stdout
    assert f"检索器单独发布在：{RETRIEVER_REPO_ID}" in pushed["process"].stdout


def test_push_leaves_folder_unchanged(pushed):
    assert pushed["after"] == pushed["before"]


def test_push_model_layout(server, pushed):
    files = server.repo_files("model", REPO_ID)

    for name in ("config.json", "model.safetensors", "config_sentence_transformers.json", "modules.json"):
        assert name in files, name
    for name in ("retriever/modules.json", "retriever/model.safetensors", "retriever/1_Pooling/config.json"):
        assert name in files, name
    for name in ("catalogue.jsonl", "greenmatch.json", "entry_embeddings.npy", "entry_embeddings.npy.sha256", "README.md"):
        assert name in files, name


def test_push_skips_training_leftovers(server, pushed):
    files = server.repo_files("model", REPO_ID)

    assert not [name for name in files if name.startswith(("cache/", "checkpoints/"))]
    assert not [name for name in files if name.endswith(".done")]


def test_push_retriever_repo(server, pushed, model_copy):
    files = server.repo_files("model", RETRIEVER_REPO_ID)

    assert files["modules.json"] == (model_copy / "retriever" / "modules.json").read_bytes()
    assert files["model.safetensors"] == (model_copy / "retriever" / "model.safetensors").read_bytes()
    assert "sentence-similarity" in files["README.md"].decode("utf-8")


def test_push_records_hub_ids(server, pushed):
    settings = json.loads(server.repo_files("model", REPO_ID)["greenmatch.json"])

    assert settings["hub"] == {"repo_id": REPO_ID, "retriever_repo_id": RETRIEVER_REPO_ID, "catalogue_repo_id": CATALOGUE_REPO_ID}


def test_push_keeps_settings(server, pushed, model_copy):
    published = json.loads(server.repo_files("model", REPO_ID)["greenmatch.json"])
    local = json.loads((model_copy / "greenmatch.json").read_text(encoding="utf-8"))

    published.pop("hub")
    assert published == local


def test_push_unchanged_weights(server, pushed, model_copy):
    files = server.repo_files("model", REPO_ID)

    assert files["model.safetensors"] == (model_copy / "model.safetensors").read_bytes()
    assert files["entry_embeddings.npy"] == (model_copy / "entry_embeddings.npy").read_bytes()


# --- model card -----------------------------------------------------------------------------------------


def test_model_card_metadata(server, pushed):
    card = ModelCard(server.repo_files("model", REPO_ID)["README.md"].decode("utf-8"))

    assert card.data.language == ["zh"]
    assert card.data.license == "other"
    assert card.data.license_name == "see-base-model"
    assert card.data.pipeline_tag == "text-ranking"
    assert "greenmatch" in card.data.tags
    assert card.data.datasets == [CATALOGUE_REPO_ID]


def test_model_card_repo_ids(server, pushed):
    text = server.repo_files("model", REPO_ID)["README.md"].decode("utf-8")

    assert f'Matcher.from_pretrained("{REPO_ID}")' in text
    assert f'CrossEncoder("{REPO_ID}")' in text
    assert f'SentenceTransformer("{RETRIEVER_REPO_ID}")' in text
    assert "<本地模型文件夹>" not in text


def test_model_card_local_path_omitted(server, pushed):
    card = ModelCard(server.repo_files("model", REPO_ID)["README.md"].decode("utf-8"))

    assert card.data.base_model is None  # the tiny model's base is a local folder


def test_model_card_base_model_and_index():
    from greenmatch.matcher import MatcherConfig
    from greenmatch.model_card import render_model_card

    config = MatcherConfig(base_model="hfl/chinese-bert-wwm-ext", base_model_licence="apache-2.0")
    config.metrics = {"检索后重排（greenmatch）": {"dataset": "dev", "metrics": {"hit@1": 0.61234, "mrr": 0.7, "auroc": 0.9}}}
    card = ModelCard(str(render_model_card(config, repo_id=REPO_ID)))
    results = {result.metric_type: result.metric_value for result in card.data.eval_results}

    assert card.data.base_model == "hfl/chinese-bert-wwm-ext"
    assert card.data.license == "apache-2.0"
    assert "model-index" in card.content.split("---")[1]
    assert results == {"hit@1": 0.6123, "mrr": 0.7, "auroc": 0.9}
    assert {result.task_type for result in card.data.eval_results} == {"text-ranking"}


def test_model_card_no_index_without_metrics():
    from greenmatch.matcher import MatcherConfig
    from greenmatch.model_card import render_model_card

    card = ModelCard(str(render_model_card(MatcherConfig(base_model="hfl/chinese-bert-wwm-ext"), repo_id=REPO_ID)))

    assert card.data.eval_results is None


# --- downloading -----------------------------------------------------------------------------------------


def test_pull_match_codes(pulled):
    assert pulled["pulled_codes"] == pulled["local_codes"]


def test_pull_match_scores(pulled):
    differences = [abs(a - b) for local, remote in zip(pulled["local_scores"], pulled["pulled_scores"]) for a, b in zip(local, remote)]

    assert max(differences) <= 1e-5


def test_pull_verdict_scores(pulled):
    differences = [abs(a - b) for a, b in zip(pulled["local_verdicts"], pulled["pulled_verdicts"])]

    assert max(differences) <= 1e-5


def test_pull_threshold_and_catalogue(pulled):
    assert pulled["pulled_threshold"] == pulled["local_threshold"]
    assert pulled["pulled_entries"] == 211


def test_pull_into_empty_cache(pulled):
    assert "models--org--greenmatch" in Path(pulled["pulled_path"]).parts


def test_cross_encoder_restores_tanh(pulled):
    assert pulled["activation"] == "Tanh"


def test_cross_encoder_same_scores(pulled):
    assert pulled["cross_encoder_difference"] <= 1e-5


def test_retriever_sentence_transformer(pulled):
    assert pulled["retriever_difference"] <= 1e-5


def test_matcher_push_to_hub(server, pulled):
    files = server.repo_files("model", "org/greenmatch-copy")

    assert pulled["matcher_push_url"].endswith("/org/greenmatch-copy")
    assert "greenmatch.json" in files


def test_pull_cli_local_dir(server, pushed, home, tmp_path):
    target = tmp_path / "pulled"
    process, _ = run_client("cli", {"argv": ["pull", REPO_ID, "--local-dir", str(target)]}, server.url, home)

    assert process.returncode == 0, process.stderr[-3000:]
    assert "已下载到" in process.stdout
    assert (target / "greenmatch.json").exists()
    assert (target / "retriever" / "model.safetensors").exists()


def test_pull_revision_branch(server, pushed, model_copy, home, tmp_path):
    argv = ["push", str(model_copy), "--repo-id", "org/greenmatch-branch", "--revision", "dev"]
    push, _ = run_client("cli", {"argv": argv}, server.url, home)
    _, pulled_dev = run_client("call", {"function": "download_model", "args": ["org/greenmatch-branch"], "kwargs": {"revision": "dev"}}, server.url, home)

    assert push.returncode == 0, push.stderr[-3000:]
    assert "/tree/dev" in push.stdout
    assert "greenmatch.json" in server.repo_files("model", "org/greenmatch-branch", revision="dev")
    assert "greenmatch.json" not in server.repo_files("model", "org/greenmatch-branch", revision="main")
    assert Path(pulled_dev["value"], "greenmatch.json").exists()


# --- catalogue dataset ------------------------------------------------------------------------------------


def test_catalogue_load_dataset(published_catalogue, catalogue):
    assert published_catalogue["dataset_rows"] == len(catalogue)
    assert published_catalogue["dataset_codes"] == catalogue.codes


def test_catalogue_dataset_columns(published_catalogue):
    expected = {"code", "title", "text", "level1_code", "level1", "level2_code", "level2", "explanation", "keywords", "matching_text"}

    assert set(published_catalogue["dataset_columns"]) == expected


def test_catalogue_keywords_are_lists(published_catalogue, catalogue):
    assert published_catalogue["dataset_keywords"] == list(catalogue.entries[0].keywords)


def test_catalogue_round_trip(published_catalogue, catalogue):
    assert published_catalogue["catalogue_codes"] == catalogue.codes
    assert published_catalogue["catalogue_texts"] == [entry.text for entry in catalogue]
    assert published_catalogue["catalogue_title"] == "绿色产业指导目录（2019年版）"
    assert published_catalogue["catalogue_name"] == "gigc2019"


def test_dataset_card_metadata(server, pushed):
    card = DatasetCard(server.repo_files("dataset", CATALOGUE_REPO_ID)["README.md"].decode("utf-8"))

    assert card.data.language == ["zh"]
    assert card.data.license == "apache-2.0"
    assert card.data.task_categories == ["text-ranking", "text-classification"]
    assert card.data.pretty_name == "绿色产业指导目录（2019年版）"
    assert card.data.configs[0]["data_files"][0]["path"] == "data/train-00000-of-00001.parquet"


def test_dataset_card_chinese_first(server, pushed):
    text = DatasetCard(server.repo_files("dataset", CATALOGUE_REPO_ID)["README.md"].decode("utf-8")).text

    assert text.index("三级条目") < text.index("## English")
    assert "211" in text


def test_push_catalogue_private(server, home):
    _, result = run_client("call", {"function": "push_catalogue", "kwargs": {"catalogue": "default", "repo_id": "org/private-catalogue", "private": True}}, server.url, home)
    _, anonymous = run_client("call", {"function": "load_catalogue_from_hub", "args": ["org/private-catalogue"]}, server.url, home, token=None)

    assert result["value"].endswith("/datasets/org/private-catalogue")
    assert server.store.get("dataset", "org/private-catalogue").private
    assert "找不到数据集仓库" in anonymous["message"]


def test_push_uses_saved_login(server, home):
    (home / "token").write_text(WRITE_TOKEN, encoding="utf-8")
    _, result = run_client("call", {"function": "push_catalogue", "kwargs": {"catalogue": "default", "repo_id": "org/login-catalogue"}}, server.url, home, token=None)

    assert result.get("value", "").endswith("/datasets/org/login-catalogue"), result
    assert "README.md" in server.repo_files("dataset", "org/login-catalogue")


# --- errors -------------------------------------------------------------------------------------------------


def test_push_without_token(server, model_copy, home):
    report = push_and_report(server, home, model_copy, "org/no-token", token=None)

    assert report["exit"] == 2
    assert "没有找到 Hugging Face 访问令牌" in report["stderr"]
    assert "HF_TOKEN" in report["stderr"]
    assert report["after"] == report["before"]
    assert server.store.get("model", "org/no-token") is None


def test_push_invalid_token(server, model_copy, home):
    report = push_and_report(server, home, model_copy, "org/bad-token", token="hf_not_a_real_token")

    assert report["exit"] == 2
    assert "拒绝了访问令牌" in report["stderr"]
    assert "hf auth login" in report["stderr"]


def test_push_read_token_forbidden(server, model_copy, home):
    report = push_and_report(server, home, model_copy, "org/read-only", token=READ_TOKEN)

    assert report["exit"] == 2
    assert "写权限" in report["stderr"]
    assert "403" in report["stderr"]
    assert report["after"] == report["before"]


def test_push_forbidden_switch(server, model_copy, home):
    server.forbid_writes = True
    try:
        report = push_and_report(server, home, model_copy, REPO_ID)
    finally:
        server.forbid_writes = False

    assert report["exit"] == 2
    assert "写权限" in report["stderr"]
    assert report["after"] == report["before"]


def test_push_other_namespace(server, model_copy, home):
    report = push_and_report(server, home, model_copy, "someone-else/greenmatch")

    assert report["exit"] == 2
    assert "someone-else" in report["stderr"]


def test_push_server_down(model_copy, home):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    report = push_and_report(None, home, model_copy, REPO_ID, endpoint=endpoint)

    assert report["exit"] == 2
    assert endpoint in report["stderr"]
    assert "HF_ENDPOINT" in report["stderr"]
    assert report["after"] == report["before"]


def test_pull_server_down(home):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    _, result = run_client("call", {"function": "download_model", "args": [REPO_ID]}, endpoint, home)

    assert result["error"] == "HubError"
    assert "无法连接" in result["message"]
    assert endpoint in result["message"]
    assert "HF_ENDPOINT" in result["message"]


def test_pull_repo_not_found(server, home):
    _, result = run_client("call", {"function": "download_model", "args": ["org/missing"]}, server.url, home)

    assert result["error"] == "HubError"
    assert "找不到模型仓库 org/missing" in result["message"]


def test_pull_revision_not_found(server, pushed, home):
    _, result = run_client("call", {"function": "download_model", "args": [REPO_ID], "kwargs": {"revision": "no-such-branch"}}, server.url, home)

    assert result["error"] == "HubError"
    assert "no-such-branch" in result["message"]
    assert "--revision" in result["message"]


def test_pull_missing_local_path(server, home):
    requests_before = len(server.requests)
    _, result = run_client("call", {"function": "download_model", "args": ["./outputs/missing"]}, server.url, home)

    assert result["error"] == "HubError"
    assert "找不到模型文件夹 ./outputs/missing" in result["message"]
    assert len(server.requests) == requests_before


def test_pull_cli_not_found(server, home):
    process, _ = run_client("cli", {"argv": ["pull", "org/missing"]}, server.url, home)

    assert process.returncode == 2
    assert process.stderr.startswith("错误：")


def test_pull_not_greenmatch_repo(server, pushed, home):
    _, result = run_client("call", {"function": "download_model", "args": [RETRIEVER_REPO_ID]}, server.url, home)

    assert result["error"] == "HubError"
    assert "不是完整的 greenmatch 模型" in result["message"]


def test_push_not_model_folder(server, home, tmp_path):
    report = push_and_report(server, home, tmp_path, "org/empty")

    assert report["exit"] == 2
    assert "不是完整的 greenmatch 模型文件夹" in report["stderr"]


def test_push_invalid_repo_id(server, model_copy, home):
    report = push_and_report(server, home, model_copy, "org/bad name")

    assert report["exit"] == 2
    assert "格式不正确" in report["stderr"]


def test_matcher_without_folder(catalogue):
    from greenmatch.errors import HubError
    from greenmatch.matcher import Matcher

    matcher = Matcher(retriever=None, cross_encoder=None, catalogue=catalogue)

    with pytest.raises(HubError, match="save_pretrained"):
        matcher.push_to_hub(REPO_ID)


def test_server_logs_unimplemented(server, pushed):
    assert server.unimplemented == []
