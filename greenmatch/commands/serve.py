"""``greenmatch serve``: serve the web page for single and batch matching."""

import sys
import time

from greenmatch.commands.options import port_number
from greenmatch.models import load_matcher

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "serve",
        help="启动网页，在浏览器中单条或批量匹配",
        description="启动匹配网页：单条匹配显示排名表和绿色/非绿色结论，批量匹配上传 CSV 或 XLSX 并下载结果文件。"
        "网页不从互联网加载任何内容，可在离线环境中使用。",
    )
    parser.add_argument("--model", metavar="DIR_OR_HUB_ID", help="模型文件夹或 Hub 模型 ID；默认使用 greenmatch quickstart 训练的快速模型")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，只有本机能访问；0.0.0.0 对局域网开放）")
    parser.add_argument("--port", type=port_number, default=7860, help="监听端口（1–65535，默认 7860）")
    parser.set_defaults(run=run)


def run(args) -> int:
    # greenmatch.web imports gradio (about 2.6 s on 2 CPU cores), so it is imported only when the page starts.
    from greenmatch.web import build_app

    matcher = load_matcher(args.model)
    demo = build_app(matcher)
    try:
        demo.launch(server_name=args.host, server_port=args.port, prevent_thread_lock=True, quiet=True)
    except OSError as error:
        print(f"错误：无法在 {args.host}:{args.port} 上启动网页（{error}）。端口可能已被占用，请用 --port 换一个端口。", file=sys.stderr, flush=True)
        return 2

    # A wildcard address is not something a browser can open; the loopback address is.
    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    if ":" in url_host:
        url_host = f"[{url_host}]"
    print(f"网页已启动：http://{url_host}:{args.port}/ （按 Ctrl+C 停止）", flush=True)
    if args.host not in LOCAL_HOSTS:
        print(f"注意：监听地址为 {args.host}，网络上的其他机器也能打开此网页并上传文件。", flush=True)

    try:
        while demo.is_running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
    print("网页已停止。", flush=True)
    return 0
