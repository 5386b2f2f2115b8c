"""Publish greenmatch models and catalogues on the Hugging Face Hub, and download them.

Repository layout. ``push_model(MODEL, "org/greenmatch")`` publishes two model repositories:

- ``org/greenmatch``: the whole model folder, laid out as ``greenmatch.matcher`` describes. The
  cross-encoder sits at the root, so ``CrossEncoder("org/greenmatch")`` loads it with its Tanh,
  and ``retriever/``, ``catalogue.jsonl``, ``greenmatch.json`` and ``entry_embeddings.npy``
  give ``Matcher.from_pretrained("org/greenmatch")`` everything in one download.
- ``org/greenmatch-retriever``: the retriever alone at the root, so
  ``SentenceTransformer("org/greenmatch-retriever")`` loads it. sentence-transformers 6.3 has
  no ``subfolder`` argument and rejects ids with more than one ``/``, so
  ``SentenceTransformer`` cannot load ``retriever/`` from the first repository directly.

The pushed ``greenmatch.json`` records the ids under a top-level ``"hub"`` key: ``repo_id``,
``retriever_repo_id`` and, when the catalogue is published too, ``catalogue_repo_id``. `hub_ids`
reads them back. The model card is re-rendered with the repository ids. The local
folder is only read: changed files (card, settings) are sent from memory.

A catalogue is published as a Hub dataset: ``data/train-00000-of-00001.parquet`` and a dataset
card, so ``datasets.load_dataset("org/gigc2019", split="train")`` loads it.

The endpoint is ``HF_ENDPOINT`` (default https://huggingface.co), read by huggingface_hub
when it is first imported; the token is the ``token`` argument, else ``HF_TOKEN``, else the
one saved by ``hf auth login``. Hub failures are raised as `HubError` with a Chinese message
that names the repository and the fix.
"""

import io
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional, Union

from huggingface_hub import CommitOperationAdd, DatasetCard, DatasetCardData, HfApi, constants, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    HFValidationError,
    LocalEntryNotFoundError,
    LocalTokenNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import DEFAULT_IGNORE_PATTERNS, filter_repo_objects, validate_repo_id

from greenmatch import __version__
from greenmatch.catalogue import Catalogue
from greenmatch.errors import HubError

logger = logging.getLogger(__name__)

CONFIG_NAME = "greenmatch.json"
CATALOGUE_NAME = "catalogue.jsonl"
RETRIEVER_FOLDER = "retriever"
RETRIEVER_SUFFIX = "-retriever"
HUB_KEY = "hub"
DATASET_TEMPLATE_NAME = "dataset_card.md"
CATALOGUE_DATA_FILE = "data/train-00000-of-00001.parquet"
DEFAULT_CATALOGUE_LICENSE = "apache-2.0"

# Training leftovers that a published model does not need: stage markers, the pair cache and
# trainer checkpoints, plus the folders huggingface_hub never uploads (.git, .cache/huggingface).
PUSH_IGNORE_PATTERNS = ["*.done", "cache/*", "checkpoints/*", "runs/*", "*/__pycache__/*", *DEFAULT_IGNORE_PATTERNS]

# huggingface_hub 2.4 sends its requests with httpx2, so connection failures arrive as httpx2 errors.
try:
    from httpx2 import TransportError as _TransportError
except ImportError:  # pragma: no cover - releases without httpx2 use httpx
    from httpx import TransportError as _TransportError

HUB_EXCEPTIONS = (HfHubHTTPError, LocalTokenNotFoundError, EntryNotFoundError, HFValidationError, _TransportError, ConnectionError, TimeoutError)


# --- repository ids ------------------------------------------------------------------------------


def retriever_repo_id_for(repo_id: str) -> str:
    """Return the default id of the repository that contains the retriever alone: ``<repo_id>-retriever``."""
    return repo_id + RETRIEVER_SUFFIX


def hub_ids(model_dir) -> dict:
    """Return the repository ids recorded in a pushed or downloaded model's ``greenmatch.json``."""
    # NOTE: MatcherConfig ignores the "hub" key, so a model re-saved with Matcher.save_pretrained loses it.
    values = json.loads((Path(model_dir) / CONFIG_NAME).read_text(encoding="utf-8"))
    return dict(values.get(HUB_KEY) or {})


def _check_repo_id(repo_id: str, require_namespace: bool = True) -> None:
    """Raise a `HubError` for an id the Hub rejects; pushes also need the ``namespace/`` part."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise HubError(f"仓库 ID“{repo_id}”格式不正确（{error}）。请写成“用户或组织名/仓库名”，例如 org/greenmatch。") from None
    if require_namespace and "/" not in repo_id:
        raise HubError(f"仓库 ID“{repo_id}”缺少用户或组织名。请写成“用户或组织名/仓库名”，例如 org/greenmatch。")


# --- error translation ---------------------------------------------------------------------------


def _caused_by_connection(error: BaseException) -> Optional[BaseException]:
    """Return the connection error or timeout behind ``error`` (itself or a cause), if any."""
    seen = set()
    current = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OfflineModeIsEnabled):
            return None
        if isinstance(current, (_TransportError, ConnectionError, TimeoutError)):
            return current
        current = current.__cause__ or current.__context__
    return None


def _is_offline(error: BaseException) -> bool:
    current, seen = error, set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OfflineModeIsEnabled):
            return True
        current = current.__cause__ or current.__context__
    return bool(constants.HF_HUB_OFFLINE) and isinstance(error, LocalEntryNotFoundError)


def translate_error(
    error: BaseException, repo_id: str, repo_type: str = "model", revision: Optional[str] = None, action: str = "访问"
) -> HubError:
    """Turn an exception of huggingface_hub or its HTTP client into a `HubError` with a Chinese message.

    Args:
        error: the exception raised by a huggingface_hub call.
        repo_id: the repository the call was about.
        repo_type: ``model`` or ``dataset``.
        revision: the branch, tag or commit asked for, if any.
        action: what the call was doing, in Chinese: 推送, 下载 or 访问.
    """
    endpoint = constants.ENDPOINT
    kind = "数据集" if repo_type == "dataset" else "模型"
    write_login = "请运行 hf auth login 登录，或把环境变量 HF_TOKEN 设为有写权限的访问令牌"
    read_login = "请运行 hf auth login 登录，或把环境变量 HF_TOKEN 设为能读取该仓库的访问令牌"
    login = write_login if action == "推送" else read_login

    if isinstance(error, LocalTokenNotFoundError):
        return HubError(f"没有找到 Hugging Face 访问令牌，无法写入 {endpoint} 上的仓库 {repo_id}。{login}。")
    if _is_offline(error):
        return HubError(f"已设置 HF_HUB_OFFLINE=1，greenmatch 不会访问 {endpoint}，本地缓存中也没有{kind} {repo_id}。请取消 HF_HUB_OFFLINE 后重试，或改用本地文件夹。")
    connection = _caused_by_connection(error)
    if connection is not None:
        name = type(connection).__name__
        timed_out = "Timeout" in name or isinstance(connection, TimeoutError)
        problem = f"连接 Hub 端点 {endpoint} 超时（{name}）" if timed_out else f"无法连接 Hub 端点 {endpoint}（{name}）"
        return HubError(
            f"{problem}，{action}{kind} {repo_id} 失败。请检查网络连接，并确认环境变量 HF_ENDPOINT（当前为 {endpoint}）指向可用的 Hub 或镜像。"
        )
    if isinstance(error, RevisionNotFoundError):
        return HubError(f"{kind}仓库 {repo_id} 中没有版本“{revision or constants.DEFAULT_REVISION}”。请确认给出的版本（命令行参数 --revision）是已有的分支名、标签或提交哈希。")
    if isinstance(error, RepositoryNotFoundError):
        return HubError(
            f"在 {endpoint} 上找不到{kind}仓库 {repo_id}。请检查仓库 ID 的拼写；如果是私有仓库，{read_login}"
            + (f"；如果 {repo_id} 本应是本地文件夹，说明这个路径不存在。" if action == "下载" and repo_type == "model" else "。")
        )
    if isinstance(error, EntryNotFoundError):
        return HubError(f"{kind}仓库 {repo_id} 中缺少文件（{error}）。请确认该仓库是用 greenmatch push 完整发布的。")
    if isinstance(error, HFValidationError):
        return HubError(f"仓库 ID“{repo_id}”或版本“{revision}”格式不正确（{error}）。请写成“用户或组织名/仓库名”，例如 org/greenmatch。")
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        status = error.response.status_code
        server_message = error.server_message or error.response.headers.get("X-Error-Message") or ""
        if status == 401:
            return HubError(f"{endpoint} 拒绝了访问令牌（401：{server_message or '令牌无效或已过期'}）。{login}。")
        if status == 403 and action != "推送":
            return HubError(f"当前访问令牌无权读取{kind}仓库 {repo_id}（{endpoint} 返回 403：{server_message}）。{read_login}。")
        if status == 403:
            return HubError(
                f"当前访问令牌没有{kind}仓库 {repo_id} 的写权限（{endpoint} 返回 403：{server_message}）。"
                f"请换用有写权限（write）的令牌，或确认你是命名空间 {repo_id.split('/')[0]} 的成员。"
            )
        return HubError(f"{endpoint} 返回错误 {status}（{kind} {repo_id}）：{server_message or error}。请稍后重试；如果持续出现，请检查 HF_ENDPOINT。")
    if isinstance(error, LocalEntryNotFoundError):
        return HubError(f"无法从 {endpoint} 下载{kind} {repo_id}，本地缓存中也没有：{error}。请检查网络和 HF_ENDPOINT 后重试。")
    return HubError(f"访问 {endpoint} 上的{kind}仓库 {repo_id} 失败：{type(error).__name__}: {error}")


@contextmanager
def _hub_errors(repo_id: str, repo_type: str = "model", revision: Optional[str] = None, action: str = "访问") -> Iterator[None]:
    """Re-raise Hub and connection failures inside the block as `HubError`."""
    try:
        yield
    except HUB_EXCEPTIONS as error:
        translated = translate_error(error, repo_id, repo_type=repo_type, revision=revision, action=action)
        logger.info("Hub call for %s %s failed: %s: %s", repo_type, repo_id, type(error).__name__, error)
        raise translated from error


# --- publishing ------------------------------------------------------------------------------------


def _api(token: Optional[str]) -> HfApi:
    return HfApi(token=token, library_name="greenmatch", library_version=__version__)


def _check_token(api: HfApi, repo_id: str) -> str:
    """Fail early, before any upload, when no valid token is available; return the user name."""
    with _hub_errors(repo_id, action="推送"):
        user = api.whoami()
    logger.info("Pushing to %s as %s", constants.ENDPOINT, user.get("name"))
    return user.get("name", "")


def _prepare_repo(api: HfApi, repo_id: str, repo_type: str, private: bool, revision: Optional[str]) -> str:
    """Create the repository (and the branch) when missing, and return the repository URL."""
    with _hub_errors(repo_id, repo_type=repo_type, revision=revision, action="推送"):
        url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        if revision and revision != constants.DEFAULT_REVISION:
            api.create_branch(repo_id, branch=revision, repo_type=repo_type, exist_ok=True)
    return str(url)


def _folder_operations(folder: Path, replaced: dict) -> List[CommitOperationAdd]:
    """List the files of a folder to commit, with the contents in ``replaced`` sent in their place."""
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    kept = list(filter_repo_objects(files, ignore_patterns=PUSH_IGNORE_PATTERNS))
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=replaced.get(name, str(folder / name))) for name in kept]
    operations += [CommitOperationAdd(path_in_repo=name, path_or_fileobj=content) for name, content in replaced.items() if name not in kept]
    return operations


def _commit(api: HfApi, repo_id: str, repo_type: str, operations, revision: Optional[str], commit_message: str) -> str:
    with _hub_errors(repo_id, repo_type=repo_type, revision=revision, action="推送"):
        info = api.create_commit(repo_id, operations, commit_message=commit_message, repo_type=repo_type, revision=revision)
    logger.info("Committed %d files to %s %s: %s", len(operations), repo_type, repo_id, info.oid)
    return info.oid


def _branch_url(url: str, revision: Optional[str]) -> str:
    if revision and revision != constants.DEFAULT_REVISION:
        return f"{url}/tree/{revision}"
    return url


def _check_model_dir(model_dir: Path) -> None:
    missing = [name for name in (CONFIG_NAME, CATALOGUE_NAME, RETRIEVER_FOLDER) if not (model_dir / name).exists()]
    if missing:
        raise HubError(
            f"{model_dir} 不是完整的 greenmatch 模型文件夹（缺少 {'、'.join(missing)}），没有推送任何内容。"
            "请给出 greenmatch train 的输出文件夹。"
        )


def push_model(
    model_dir,
    repo_id: str,
    private: bool = False,
    revision: Optional[str] = None,
    token: Optional[str] = None,
    commit_message: Optional[str] = None,
    retriever_repo_id: Optional[str] = None,
    catalogue_repo_id: Optional[str] = None,
    catalogue_license: str = DEFAULT_CATALOGUE_LICENSE,
) -> str:
    """Publish a trained model folder to ``repo_id`` and its retriever to a companion repository.

    The folder is only read. The model card is rendered again with the repository ids, and
    ``greenmatch.json`` gains a ``"hub"`` key with them; both are sent from memory. Each
    repository receives one commit, the retriever's first, so the full model never points to
    a retriever repository that does not exist yet.

    Args:
        model_dir: the output folder of ``greenmatch train``.
        repo_id: the model repository, e.g. ``org/greenmatch``; created when missing.
        private: create missing repositories as private (an existing one keeps its visibility).
        revision: the branch to commit to, created from ``main`` when missing; default ``main``.
        token: a Hub token with write access; by default ``HF_TOKEN`` or the saved login.
        commit_message: the commit title; a default names greenmatch.
        retriever_repo_id: the companion repository; default ``<repo_id>-retriever``.
        catalogue_repo_id: also publish the model's catalogue as this Hub dataset.
        catalogue_license: the licence id in the catalogue dataset's card.

    Returns:
        The URL of the model repository (of the branch, when ``revision`` is not ``main``).

    Raises:
        HubError: the folder is not a greenmatch model, or a Hub call failed (no token, no
            permission, network down, ...). Repositories pushed before the failure keep
            their commit.
    """
    from greenmatch.matcher import MatcherConfig
    from greenmatch.model_card import render_model_card, render_retriever_card

    model_dir = Path(model_dir)
    _check_model_dir(model_dir)
    retriever_repo_id = retriever_repo_id or retriever_repo_id_for(repo_id)
    for name in filter(None, (repo_id, retriever_repo_id, catalogue_repo_id)):
        _check_repo_id(name)
    api = _api(token)
    _check_token(api, repo_id)

    # 1. Settings and cards for the published copy, built in memory.
    settings = json.loads((model_dir / CONFIG_NAME).read_text(encoding="utf-8"))
    ids = {"repo_id": repo_id, "retriever_repo_id": retriever_repo_id}
    if catalogue_repo_id:
        ids["catalogue_repo_id"] = catalogue_repo_id
    settings[HUB_KEY] = ids
    config = MatcherConfig.load(model_dir / CONFIG_NAME)
    model_card = render_model_card(config, repo_id=repo_id, retriever_repo_id=retriever_repo_id, catalogue_repo_id=catalogue_repo_id)
    dimensions, max_seq_length = _retriever_shape(model_dir / RETRIEVER_FOLDER)
    retriever_card = render_retriever_card(config, repo_id, retriever_repo_id, dimensions, max_seq_length, catalogue_repo_id=catalogue_repo_id)
    message = commit_message or f"Upload greenmatch model with greenmatch {__version__}"

    # 2. The catalogue dataset, when asked for.
    if catalogue_repo_id:
        catalogue = Catalogue.from_file(model_dir / CATALOGUE_NAME, name=config.training.get("catalogue_name", "catalogue"))
        catalogue.title = config.training.get("catalogue_title", catalogue.title)
        _push_catalogue(api, catalogue, catalogue_repo_id, private, revision, None, catalogue_license)

    # 3. The retriever alone, then the whole model.
    _prepare_repo(api, retriever_repo_id, "model", private, revision)
    retriever_operations = _folder_operations(model_dir / RETRIEVER_FOLDER, {"README.md": str(retriever_card).encode("utf-8")})
    _commit(api, retriever_repo_id, "model", retriever_operations, revision, message)

    url = _prepare_repo(api, repo_id, "model", private, revision)
    replaced = {
        "README.md": str(model_card).encode("utf-8"),
        CONFIG_NAME: json.dumps(settings, ensure_ascii=False, indent=2).encode("utf-8"),
    }
    _commit(api, repo_id, "model", _folder_operations(model_dir, replaced), revision, message)
    logger.info("Published %s to %s (retriever: %s)", model_dir, repo_id, retriever_repo_id)
    return _branch_url(url, revision)


def _retriever_shape(folder: Path):
    """Read the retriever's embedding size and token limit from its saved configuration files."""
    dimensions, max_seq_length = "?", "?"
    config = folder / "config.json"
    if config.exists():
        dimensions = json.loads(config.read_text(encoding="utf-8")).get("hidden_size", "?")
    settings = folder / "sentence_bert_config.json"
    if settings.exists():
        max_seq_length = json.loads(settings.read_text(encoding="utf-8")).get("max_seq_length", "?")
    return dimensions, max_seq_length


# --- downloading -------------------------------------------------------------------------------------


def download_model(repo_id: str, revision: Optional[str] = None, token: Optional[str] = None, local_dir=None) -> Path:
    """Download a published greenmatch model and return its folder.

    Args:
        repo_id: the model repository, e.g. ``org/greenmatch``.
        revision: a branch, tag or commit; default ``main``.
        token: a token for private repositories; by default ``HF_TOKEN`` or the saved login.
        local_dir: copy the files into this folder; by default they stay in the Hugging Face
            cache (``HF_HOME``), where later calls find them without downloading again.

    Raises:
        HubError: the repository or revision does not exist, is private, is not a greenmatch
            model, or the Hub cannot be reached.
    """
    if str(repo_id).startswith((".", "/", "~")) or str(repo_id).count("/") > 1 or "\\" in str(repo_id):
        raise HubError(f"找不到模型文件夹 {repo_id}，它也不是 Hub 仓库 ID（“用户或组织名/仓库名”）。请检查路径。")
    _check_repo_id(repo_id, require_namespace=False)
    with _hub_errors(repo_id, revision=revision, action="下载"):
        folder = snapshot_download(
            repo_id,
            revision=revision,
            token=token,
            local_dir=local_dir,
            library_name="greenmatch",
            library_version=__version__,
        )
    folder = Path(folder)
    missing = [name for name in (CONFIG_NAME, CATALOGUE_NAME, RETRIEVER_FOLDER) if not (folder / name).exists()]
    if missing:
        raise HubError(
            f"仓库 {repo_id} 不是完整的 greenmatch 模型（缺少 {'、'.join(missing)}）。"
            "如果它只含检索器或交叉编码器，请直接用 SentenceTransformer 或 CrossEncoder 加载。"
        )
    logger.info("Downloaded %s (revision %s) to %s", repo_id, revision or constants.DEFAULT_REVISION, folder)
    return folder


# --- catalogues as Hub datasets ------------------------------------------------------------------------


def _catalogue_features():
    from datasets import Features, List, Value

    columns = {name: Value("string") for name in ("code", "title", "text", "level1_code", "level1", "level2_code", "level2", "explanation")}
    columns["keywords"] = List(Value("string"))
    columns["matching_text"] = Value("string")
    return Features(columns)


def render_catalogue_card(catalogue: Catalogue, repo_id: str, license: str = DEFAULT_CATALOGUE_LICENSE) -> DatasetCard:
    """Build the dataset card of a catalogue from ``hub/templates/dataset_card.md``."""
    from greenmatch.model_card import template_path

    official = any(entry.explanation for entry in catalogue)
    title = catalogue.title or catalogue.name
    card_data = DatasetCardData(
        language=["zh"],
        license=license,
        task_categories=["text-ranking", "text-classification"],
        pretty_name=title,
        size_categories=["n<1K"] if len(catalogue) < 1000 else ["1K<n<10K"],
        tags=["greenmatch", "green-finance", "catalogue"],
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": CATALOGUE_DATA_FILE}]}],
    )
    if official:
        source = "`explanation` 列为官方目录解释说明的原文，`text` 列是从中去掉标准引用和门槛条件后的匹配文本。"
        source_en = "The `explanation` column holds the official explanations; `text` is derived from them."
    else:
        source = "条目代码和名称取自官方目录；`text` 列的描述和关键词为 greenmatch 所写，不是官方解释说明，认定时以官方文件为准。"
        source_en = "Codes and titles come from the official catalogue; the descriptions and keywords were written for greenmatch and are not the official explanations."
    return DatasetCard.from_template(
        card_data,
        template_path=str(template_path(DATASET_TEMPLATE_NAME)),
        pretty_name=title,
        catalogue_title=title,
        repo_id=repo_id,
        num_entries=len(catalogue),
        num_level1=len(catalogue.level1_titles()),
        num_level2=len(catalogue.level2_titles()),
        source_note=source,
        source_note_en=source_en,
        licence_note=f"本数据集按 {license} 许可发布。",
    )


def push_catalogue(
    catalogue: Catalogue,
    repo_id: str,
    private: bool = False,
    revision: Optional[str] = None,
    token: Optional[str] = None,
    commit_message: Optional[str] = None,
    license: str = DEFAULT_CATALOGUE_LICENSE,
) -> str:
    """Publish a catalogue as a Hub dataset: one parquet file and a dataset card, in one commit.

    Args:
        catalogue: the entries to publish.
        repo_id: the dataset repository, e.g. ``org/gigc2019``; created when missing.
        private: create a missing repository as private.
        revision: the branch to commit to, created from ``main`` when missing.
        token: a Hub token with write access; by default ``HF_TOKEN`` or the saved login.
        commit_message: the commit title.
        license: the licence id in the card's metadata.

    Returns:
        The URL of the dataset repository.

    Raises:
        HubError: a Hub call failed.
    """
    _check_repo_id(repo_id)
    api = _api(token)
    _check_token(api, repo_id)
    return _push_catalogue(api, catalogue, repo_id, private, revision, commit_message, license)


def _push_catalogue(api: HfApi, catalogue: Catalogue, repo_id: str, private: bool, revision, commit_message, license: str) -> str:
    dataset = catalogue.to_dataset().cast(_catalogue_features())
    buffer = io.BytesIO()
    dataset.to_parquet(buffer)
    card = render_catalogue_card(catalogue, repo_id, license=license)
    operations = [
        CommitOperationAdd(path_in_repo=CATALOGUE_DATA_FILE, path_or_fileobj=buffer.getvalue()),
        CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(card).encode("utf-8")),
    ]

    url = _prepare_repo(api, repo_id, "dataset", private, revision)
    _commit(api, repo_id, "dataset", operations, revision, commit_message or f"Upload catalogue {catalogue.name} ({len(catalogue)} entries)")
    logger.info("Published catalogue %s (%d entries) to dataset %s", catalogue.name, len(catalogue), repo_id)
    return _branch_url(url, revision)


def load_catalogue_from_hub(repo_id: str, revision: Optional[str] = None, token: Optional[str] = None) -> Catalogue:
    """Download a catalogue published with `push_catalogue` and return it.

    The catalogue's name is the repository name and its title the card's ``pretty_name``.

    Raises:
        HubError: the dataset cannot be downloaded or has no catalogue data file.
    """
    from datasets import Dataset

    _check_repo_id(repo_id, require_namespace=False)
    with _hub_errors(repo_id, repo_type="dataset", revision=revision, action="下载"):
        folder = Path(
            snapshot_download(
                repo_id, repo_type="dataset", revision=revision, token=token, library_name="greenmatch", library_version=__version__
            )
        )
    data_file = folder / CATALOGUE_DATA_FILE
    if not data_file.exists():
        raise HubError(f"数据集 {repo_id} 中没有目录数据文件 {CATALOGUE_DATA_FILE}。请确认它是用 greenmatch 发布的目录。")

    dataset = Dataset.from_parquet(str(data_file))
    title = ""
    if (folder / "README.md").exists():
        title = DatasetCard.load(folder / "README.md").data.get("pretty_name") or ""
    catalogue = Catalogue.from_dataset(dataset, name=repo_id.split("/")[-1], title=title)
    logger.info("Loaded catalogue %s with %d entries from dataset %s", catalogue.title, len(catalogue), repo_id)
    return catalogue


def push_matcher(matcher, repo_id: str, **kwargs) -> str:
    """Publish the folder a `Matcher` was loaded from or saved to; see `push_model`."""
    path: Union[str, Path, None] = getattr(matcher, "path", None)
    if path is None:
        raise HubError("这个匹配器还没有保存到文件夹，无法推送。请先调用 matcher.save_pretrained(文件夹)，再调用 push_to_hub。")
    return push_model(path, repo_id, **kwargs)
