"""A Hub-API-compatible test server on 127.0.0.1, enough for huggingface_hub 2.x to push and pull.

The tests point ``HF_ENDPOINT`` at it. Repositories, commits and file contents live in memory.
A file's id is its git blob SHA-1, and the server also sends it as the ``ETag``, as the Hub does
for files stored in git. Every file is stored in git: the preupload endpoint answers
``uploadMode: "regular"``, so clients send contents base64-encoded inside the commit.

Implemented (``{type}`` is ``model``, ``dataset`` or ``space``; ``{id}`` is ``namespace/name``):

- ``GET /api/whoami-v2``
- ``GET /api/agent-harnesses`` (an empty registry)
- ``POST /api/repos/create``
- ``POST /api/validate-yaml`` (checks that the README front matter is a YAML mapping)
- ``GET /api/{type}s/{id}`` and ``GET /api/{type}s/{id}/revision/{rev}`` (sha, siblings, cardData)
- ``GET /api/{type}s/{id}/tree/{rev}[/{path}]`` (``recursive`` honoured, one page)
- ``POST /api/{type}s/{id}/paths-info/{rev}``
- ``POST /api/{type}s/{id}/preupload/{rev}``
- ``POST /api/{type}s/{id}/commit/{rev}`` (NDJSON: header, file, deletedFile, deletedFolder)
- ``POST /api/{type}s/{id}/branch/{branch}``
- ``GET /api/{type}s/{id}/refs``
- ``HEAD``/``GET /[{type}s/]{id}/resolve/{rev}/{path}`` (``X-Repo-Commit``, ``ETag``, ``Range``)

Errors carry ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) and
``X-Error-Message`` like the Hub's. Writes need a ``Bearer`` token with the ``write`` role
whose user owns the namespace; a ``read`` token gets 403, and ``forbid_writes = True`` turns
every write into a 403. Private repositories are visible only to their namespace's members.

Not implemented, and logged with the request when a client asks: LFS and Xet uploads (a
commit line ``lfsFile`` is rejected with 400), file copies, pull requests (``create_pr``),
tags, deleting repositories, pagination of long tree listings, the ``expand`` details of
tree entries (last commit, security scan) and every endpoint not listed above. Requests
to those get 501 and are recorded in `HubServer.unimplemented`.
"""

import base64
import datetime
import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

logger = logging.getLogger(__name__)

WRITE_TOKEN = "hf_greenmatch_test_write"
READ_TOKEN = "hf_greenmatch_test_read"
REPO_TYPES = ("model", "dataset", "space")
DEFAULT_BRANCH = "main"

_COMMIT_HASH = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class HubUser:
    """The account a token belongs to."""

    name: str
    orgs: Tuple[str, ...] = ()
    role: str = "write"

    def is_member(self, namespace: str) -> bool:
        return namespace == self.name or namespace in self.orgs


DEFAULT_TOKENS = {
    WRITE_TOKEN: HubUser("tester", orgs=("org",), role="write"),
    READ_TOKEN: HubUser("reader", orgs=("org",), role="read"),
}


@dataclass
class Commit:
    """A commit: its parent, message and the full file map (path → blob id) after it."""

    oid: str
    parent: Optional[str]
    title: str
    files: Dict[str, str]
    date: str


@dataclass
class Repo:
    """A repository: its branches (name → commit id) and commits."""

    repo_type: str
    repo_id: str
    private: bool
    created_at: str
    branches: Dict[str, str] = field(default_factory=dict)
    commits: Dict[str, Commit] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return self.repo_id.split("/")[0]

    def resolve(self, revision: str) -> Optional[Commit]:
        """Return the commit a branch name or a full commit id points to, or None."""
        if revision in self.branches:
            return self.commits[self.branches[revision]]
        if _COMMIT_HASH.match(revision):
            return self.commits.get(revision)
        return None


class HubHTTPError(Exception):
    """An HTTP error response: status, Hub error code and message."""

    def __init__(self, status: int, message: str, code: Optional[str] = None, headers: Optional[dict] = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}


def git_blob_id(content: bytes) -> str:
    """Return the git blob SHA-1 of a file's content, the id the Hub gives files stored in git."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class HubStore:
    """The repositories and file contents, shared by all request threads under one lock."""

    def __init__(self):
        self.repos: Dict[Tuple[str, str], Repo] = {}
        self.blobs: Dict[str, bytes] = {}
        self.lock = threading.RLock()

    def get(self, repo_type: str, repo_id: str) -> Optional[Repo]:
        return self.repos.get((repo_type, repo_id))

    def create(self, repo_type: str, repo_id: str, private: bool) -> Repo:
        repo = Repo(repo_type=repo_type, repo_id=repo_id, private=private, created_at=_now())
        initial = self._new_commit(repo, None, "initial commit", {})
        repo.branches[DEFAULT_BRANCH] = initial.oid
        self.repos[(repo_type, repo_id)] = repo
        return repo

    def commit(self, repo: Repo, branch: str, title: str, additions: Dict[str, bytes], deletions: List[Tuple[str, bool]]) -> Commit:
        """Apply deletions then additions on top of a branch head and move the branch."""
        head = repo.commits[repo.branches[branch]]
        files = dict(head.files)
        for path, is_folder in deletions:
            if is_folder:
                prefix = path.rstrip("/") + "/"
                doomed = [name for name in files if name.startswith(prefix)]
                if not doomed:
                    raise HubHTTPError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                for name in doomed:
                    del files[name]
            elif path in files:
                del files[path]
            else:
                raise HubHTTPError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        for path, content in additions.items():
            blob = git_blob_id(content)
            self.blobs[blob] = content
            files[path] = blob
        commit = self._new_commit(repo, head.oid, title, files)
        repo.branches[branch] = commit.oid
        return commit

    def _new_commit(self, repo: Repo, parent: Optional[str], title: str, files: Dict[str, str]) -> Commit:
        date = _now()
        listing = "\n".join(f"{path} {blob}" for path, blob in sorted(files.items()))
        oid = hashlib.sha1(f"{repo.repo_id}\n{parent}\n{title}\n{date}\n{len(repo.commits)}\n{listing}".encode()).hexdigest()
        commit = Commit(oid=oid, parent=parent, title=title, files=files, date=date)
        repo.commits[oid] = commit
        return commit


class HubServer:
    """Serve the Hub API on ``127.0.0.1`` in a background thread.

    Args:
        tokens: token → `HubUser`; by default a write token and a read token for user
            ``tester``/``reader`` in organisation ``org``.
        port: 0 picks a free port.

    Example::

        with HubServer() as server:
            os.environ["HF_ENDPOINT"] = server.url  # before huggingface_hub is imported
    """

    def __init__(self, tokens: Optional[Dict[str, HubUser]] = None, port: int = 0):
        self.tokens = dict(DEFAULT_TOKENS if tokens is None else tokens)
        self.store = HubStore()
        self.forbid_writes = False
        self.unimplemented: List[str] = []
        self.requests: List[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "HubServer":
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hub-server", daemon=True)
        self._thread.start()
        logger.info("Hub test server listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("Hub test server on %s stopped after %d requests", self.url, len(self.requests))

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def repo_files(self, repo_type: str, repo_id: str, revision: str = DEFAULT_BRANCH) -> Dict[str, bytes]:
        """Return the files of a repository at a revision, for assertions in tests."""
        with self.store.lock:
            repo = self.store.get(repo_type, repo_id)
            if repo is None:
                raise KeyError(f"no {repo_type} repository {repo_id}")
            commit = repo.resolve(revision)
            if commit is None:
                raise KeyError(f"no revision {revision} in {repo_id}")
            return {path: self.store.blobs[blob] for path, blob in commit.files.items()}


def _make_handler(server: HubServer):
    class Handler(_HubRequestHandler):
        hub = server

    return Handler


class _HubRequestHandler(BaseHTTPRequestHandler):
    """Route one request to the endpoint that handles it."""

    protocol_version = "HTTP/1.1"
    hub: HubServer

    # --- plumbing ------------------------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by BaseHTTPRequestHandler
        logger.debug("%s %s", self.address_string(), format % args)

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        self.query = parse_qs(parts.query)
        self.segments = [unquote(segment) for segment in parts.path.strip("/").split("/")] if parts.path.strip("/") else []
        self.hub.requests.append(f"{method} {parts.path}")
        body = self._read_body() if method in ("POST", "PUT") else b""
        try:
            with self.hub.store.lock:
                self._route(method, body)
        except HubHTTPError as error:
            level = logging.WARNING if error.status >= 500 or error.status == 400 else logging.INFO
            logger.log(level, "%s %s -> %d %s", method, parts.path, error.status, error.message)
            self._send_error(error)
        except Exception as error:  # noqa: BLE001 - a bug in the server must still answer the client
            logger.exception("%s %s failed inside the test Hub", method, parts.path)
            self._send_error(HubHTTPError(500, f"Internal error of the greenmatch test Hub: {type(error).__name__}: {error}"))

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_json(self, payload, status: int = 200, headers: Optional[dict] = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, data, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    def _send(self, status: int, data: bytes, headers: dict, head_only: bool = False, length: Optional[int] = None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        if not head_only:
            self.wfile.write(data)

    def _send_error(self, error: HubHTTPError) -> None:
        headers = {"X-Error-Message": error.message, **error.headers}
        if error.code:
            headers["X-Error-Code"] = error.code
        data = b"" if self.command == "HEAD" else json.dumps({"error": error.message}).encode("utf-8")
        self._send(error.status, data, {"Content-Type": "application/json", **headers}, length=len(data))

    def _unimplemented(self, method: str) -> None:
        description = f"{method} {self.path}"
        self.hub.unimplemented.append(description)
        logger.warning("Hub test server does not implement %s", description)
        raise HubHTTPError(501, f"The greenmatch test Hub does not implement {description}")

    # --- authentication --------------------------------------------------------------------

    def _user(self) -> Optional[HubUser]:
        """Return the token's user, None without a token; raise 401 for an unknown token."""
        header = self.headers.get("Authorization", "")
        if not header:
            return None
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        user = self.hub.tokens.get(token)
        if user is None:
            raise HubHTTPError(401, "Invalid credentials in Authorization header")
        return user

    def _require_writer(self, namespace: str) -> HubUser:
        user = self._user()
        if user is None:
            raise HubHTTPError(401, "You must be authenticated to write to the Hub (no token sent)")
        if self.hub.forbid_writes or user.role != "write":
            raise HubHTTPError(403, f"Your token has no write access (user {user.name}, role {user.role})")
        if not user.is_member(namespace):
            raise HubHTTPError(403, f"You don't have the rights to write to the namespace {namespace}")
        return user

    def _readable_repo(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.hub.store.get(repo_type, repo_id)
        user = self._user()
        visible = repo is not None and (not repo.private or (user is not None and user.is_member(repo.namespace)))
        if not visible:
            status = 401 if user is None else 404
            raise HubHTTPError(status, f"Repository not found: {repo_type} {repo_id}", "RepoNotFound")
        return repo

    def _writable_repo(self, repo_type: str, repo_id: str) -> Repo:
        repo = self._readable_repo(repo_type, repo_id)
        self._require_writer(repo.namespace)
        return repo

    @staticmethod
    def _revision(repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise HubHTTPError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    # --- routing ---------------------------------------------------------------------------

    def _route(self, method: str, body: bytes) -> None:
        segments = self.segments
        if segments[:1] == ["api"]:
            rest = segments[1:]
            if rest == ["whoami-v2"] and method == "GET":
                return self._whoami()
            if rest == ["repos", "create"] and method == "POST":
                return self._create_repo(body)
            if rest == ["validate-yaml"] and method == "POST":
                return self._validate_yaml(body)
            if rest == ["agent-harnesses"] and method == "GET":
                # huggingface_hub fetches this registry for its user agent; an empty one detects nothing.
                return self._send_json({"standardEnvVars": [], "harnesses": {}})
            if len(rest) >= 3 and rest[0] in ("models", "datasets", "spaces"):
                return self._route_repo_api(method, rest[0][:-1], "/".join(rest[1:3]), rest[3:], body)
            return self._unimplemented(method)

        repo_type, rest = "model", segments
        if rest and rest[0] in ("datasets", "spaces"):
            repo_type, rest = rest[0][:-1], rest[1:]
        if len(rest) >= 5 and rest[2] == "resolve" and method in ("GET", "HEAD"):
            return self._resolve(method, repo_type, "/".join(rest[:2]), rest[3], "/".join(rest[4:]))
        return self._unimplemented(method)

    def _route_repo_api(self, method: str, repo_type: str, repo_id: str, rest: List[str], body: bytes) -> None:
        action = rest[0] if rest else ""
        if method == "GET" and not rest:
            return self._repo_info(repo_type, repo_id, DEFAULT_BRANCH)
        if method == "GET" and action == "revision" and len(rest) == 2:
            return self._repo_info(repo_type, repo_id, rest[1])
        if method == "GET" and action == "tree" and len(rest) >= 2:
            return self._tree(repo_type, repo_id, rest[1], "/".join(rest[2:]))
        if method == "GET" and action == "refs" and len(rest) == 1:
            return self._refs(repo_type, repo_id)
        if method == "POST" and action == "paths-info" and len(rest) == 2:
            return self._paths_info(repo_type, repo_id, rest[1], body)
        if method == "POST" and action == "preupload" and len(rest) == 2:
            return self._preupload(repo_type, repo_id, rest[1], body)
        if method == "POST" and action == "commit" and len(rest) == 2:
            return self._commit(repo_type, repo_id, rest[1], body)
        if method == "POST" and action == "branch" and len(rest) >= 2:
            return self._create_branch(repo_type, repo_id, "/".join(rest[1:]), body)
        return self._unimplemented(method)

    # --- account and repositories ------------------------------------------------------------

    def _whoami(self) -> None:
        user = self._user()
        if user is None:
            raise HubHTTPError(401, "Invalid credentials in Authorization header")
        self._send_json(
            {
                "type": "user",
                "name": user.name,
                "fullname": user.name,
                "orgs": [{"type": "org", "name": org} for org in user.orgs],
                "auth": {"type": "access_token", "accessToken": {"displayName": "greenmatch-test", "role": user.role}},
            }
        )

    def _create_repo(self, body: bytes) -> None:
        payload = json.loads(body or b"{}")
        repo_type = payload.get("type") or "model"
        user = self._user()
        if user is None:
            raise HubHTTPError(401, "You must be authenticated to create a repository (no token sent)")
        namespace = payload.get("organization") or user.name
        repo_id = f"{namespace}/{payload.get('name', '')}"
        if repo_type not in REPO_TYPES or not payload.get("name"):
            raise HubHTTPError(400, f"Invalid repository type or name: {repo_type} {repo_id}")
        self._require_writer(namespace)
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        url = f"{self.hub.url}/{prefix}{repo_id}"
        if self.hub.store.get(repo_type, repo_id) is not None:
            raise HubHTTPError(409, f"You already created this {repo_type} repo: {repo_id}", headers={})
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        self.hub.store.create(repo_type, repo_id, private)
        logger.info("Created %s repository %s (%s)", repo_type, repo_id, "private" if private else "public")
        self._send_json({"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self, body: bytes) -> None:
        payload = json.loads(body or b"{}")
        content = payload.get("content", "")
        match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, re.S)
        if not match:
            return self._send_json({"errors": [], "warnings": [{"message": "Empty or missing yaml metadata in repo card"}]})
        try:
            metadata = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            return self._send_json({"errors": [{"message": f"YAML is invalid: {error}"}]}, status=400)
        if not isinstance(metadata, dict):
            return self._send_json({"errors": [{"message": "YAML metadata must be a mapping"}]}, status=400)
        self._send_json({"errors": [], "warnings": []})

    def _repo_info(self, repo_type: str, repo_id: str, revision: str) -> None:
        repo = self._readable_repo(repo_type, repo_id)
        commit = self._revision(repo, revision)
        card_data = _card_data(self.hub.store.blobs.get(commit.files.get("README.md", ""), b""))
        info = {
            "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24],
            "id": repo_id,
            "author": repo.namespace,
            "sha": commit.oid,
            "lastModified": commit.date,
            "createdAt": repo.created_at,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "tags": list(card_data.get("tags") or []),
            "siblings": [{"rfilename": path} for path in sorted(commit.files)],
            "cardData": card_data,
        }
        if repo_type == "model":
            info["pipeline_tag"] = card_data.get("pipeline_tag")
            info["library_name"] = card_data.get("library_name")
        self._send_json(info)

    def _refs(self, repo_type: str, repo_id: str) -> None:
        repo = self._readable_repo(repo_type, repo_id)
        branches = [{"name": name, "ref": f"refs/heads/{name}", "targetCommit": oid} for name, oid in sorted(repo.branches.items())]
        self._send_json({"branches": branches, "converts": [], "tags": []})

    def _create_branch(self, repo_type: str, repo_id: str, branch: str, body: bytes) -> None:
        repo = self._writable_repo(repo_type, repo_id)
        payload = json.loads(body or b"{}")
        if branch in repo.branches:
            raise HubHTTPError(409, f"Branch already exists: {branch}")
        start = self._revision(repo, payload.get("startingPoint") or DEFAULT_BRANCH)
        repo.branches[branch] = start.oid
        logger.info("Created branch %s of %s at %s", branch, repo_id, start.oid[:8])
        self._send_json({})

    # --- listing -----------------------------------------------------------------------------

    def _entry(self, commit: Commit, path: str) -> Optional[dict]:
        """Return the tree entry of a file or folder at a commit, or None."""
        if path in commit.files:
            blob = commit.files[path]
            return {"type": "file", "oid": blob, "size": len(self.hub.store.blobs[blob]), "path": path}
        prefix = path.rstrip("/") + "/"
        inside = sorted((name, blob) for name, blob in commit.files.items() if name.startswith(prefix))
        if not inside:
            return None
        tree_id = hashlib.sha1("\n".join(f"{name} {blob}" for name, blob in inside).encode()).hexdigest()
        return {"type": "directory", "oid": tree_id, "size": 0, "path": path.rstrip("/")}

    def _tree(self, repo_type: str, repo_id: str, revision: str, folder: str) -> None:
        repo = self._readable_repo(repo_type, repo_id)
        commit = self._revision(repo, revision)
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("1", "true")
        folder = folder.strip("/")
        prefix = folder + "/" if folder else ""
        if folder and self._entry(commit, folder) is None:
            raise HubHTTPError(404, f"Entry not found: {folder}", "EntryNotFound")

        paths = set()
        for name in commit.files:
            if not name.startswith(prefix):
                continue
            parts = name[len(prefix) :].split("/")
            steps = range(1, len(parts) + 1) if recursive else [1]
            for depth in steps:
                paths.add(prefix + "/".join(parts[:depth]))
        entries = [self._entry(commit, path) for path in sorted(paths)]
        self._send_json(entries)

    def _paths_info(self, repo_type: str, repo_id: str, revision: str, body: bytes) -> None:
        repo = self._readable_repo(repo_type, repo_id)
        commit = self._revision(repo, revision)
        form = parse_qs(body.decode("utf-8"))
        entries = [self._entry(commit, path.strip("/")) for path in form.get("paths", [])]
        self._send_json([entry for entry in entries if entry is not None])

    # --- uploads -----------------------------------------------------------------------------

    def _preupload(self, repo_type: str, repo_id: str, revision: str, body: bytes) -> None:
        repo = self._writable_repo(repo_type, repo_id)
        commit = self._revision(repo, revision)
        if "create_pr" in self.query:
            return self._unimplemented("POST (create_pr)")
        files = json.loads(body or b"{}").get("files", [])
        answer = [
            {"path": item["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": commit.files.get(item["path"])}
            for item in files
        ]
        self._send_json({"files": answer, "commitOid": commit.oid})

    def _commit(self, repo_type: str, repo_id: str, revision: str, body: bytes) -> None:
        repo = self._writable_repo(repo_type, repo_id)
        if "create_pr" in self.query:
            return self._unimplemented("POST (create_pr)")
        if revision not in repo.branches:
            raise HubHTTPError(404, f"Invalid rev id: {revision} (commits go to a branch)", "RevisionNotFound")

        header, additions, deletions = {}, {}, []
        for line in body.decode("utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item.get("key"), item.get("value", {})
            if key == "header":
                header = value
            elif key == "file":
                if value.get("encoding", "base64") != "base64":
                    raise HubHTTPError(400, f"Unsupported file encoding: {value.get('encoding')}")
                additions[value["path"]] = base64.b64decode(value["content"])
            elif key in ("deletedFile", "deletedFolder"):
                deletions.append((value["path"], key == "deletedFolder"))
            else:
                return self._unimplemented(f"POST (commit operation {key})")

        parent = header.get("parentCommit")
        if parent and parent != repo.branches[revision]:
            raise HubHTTPError(412, f"Parent commit {parent} is not the head of {revision}")
        commit = self.hub.store.commit(repo, revision, header.get("summary") or "Upload files", additions, deletions)
        logger.info("Commit %s on %s@%s: %d files added, %d deleted", commit.oid[:8], repo_id, revision, len(additions), len(deletions))
        prefix = "" if repo_type == "model" else f"{repo_type}s/"
        self._send_json(
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{self.hub.url}/{prefix}{repo_id}/commit/{commit.oid}",
                "pullRequestUrl": None,
                "hookOutput": "",
            }
        )

    # --- downloads ---------------------------------------------------------------------------

    def _resolve(self, method: str, repo_type: str, repo_id: str, revision: str, path: str) -> None:
        repo = self._readable_repo(repo_type, repo_id)
        commit = self._revision(repo, revision)
        if path not in commit.files:
            raise HubHTTPError(404, f"Entry not found: {path}", "EntryNotFound", headers={"X-Repo-Commit": commit.oid})
        blob = commit.files[path]
        content = self.hub.store.blobs[blob]
        headers = {
            "Content-Type": "application/octet-stream",
            "ETag": f'"{blob}"',
            "X-Repo-Commit": commit.oid,
            "Accept-Ranges": "bytes",
        }
        requested = _byte_range(self.headers.get("Range"), len(content))
        if requested is None:
            return self._send(200, content, headers, head_only=method == "HEAD")
        start, end = requested
        if start >= len(content) or start > end:
            raise HubHTTPError(416, f"Range not satisfiable: {self.headers.get('Range')}", headers={"Content-Range": f"bytes */{len(content)}"})
        headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
        self._send(206, content[start : end + 1], headers, head_only=method == "HEAD")


def _byte_range(header: Optional[str], size: int) -> Optional[Tuple[int, int]]:
    """Parse a single ``bytes=START-END`` range (END optional, or ``-SUFFIX``); None for none."""
    match = re.match(r"^bytes=(\d*)-(\d*)$", (header or "").strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    if not match.group(1):
        suffix = int(match.group(2))
        return max(size - suffix, 0), size - 1
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else size - 1
    return start, min(end, size - 1)


def _card_data(readme: bytes) -> dict:
    """Return the YAML front matter of a README as a dict (empty when it has none)."""
    match = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", readme.decode("utf-8", errors="replace"), re.S)
    if not match:
        return {}
    try:
        metadata = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return metadata if isinstance(metadata, dict) else {}
