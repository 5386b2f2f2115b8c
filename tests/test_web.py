"""Tests of the web page: rendering without a browser, the handlers, ``greenmatch serve``, and
the page itself in headless Chromium (Debian's ``chromium`` package driven by Playwright).

Set ``GREENMATCH_SKIP_BROWSER=1`` to skip the browser tests on a machine without Chromium.
Without that variable a missing Chromium fails them, so CI cannot pass without running them.

The single-match browser test saves a screenshot of the page in pytest's temporary folder.
Set ``GREENMATCH_WRITE_SCREENSHOT=1`` to write it to docs/images/web.png instead, the image
the README shows, when the page has changed on purpose. It then shows the tiny model's
meaningless matches; the current image was taken with a trained quick model.
"""

import argparse
import configparser
import os
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from greenmatch.matcher import Match, MatchResult
from greenmatch.web import (
    EXAMPLES,
    MARK_STYLE,
    PAGE_TITLE,
    choose_text_column,
    hide_server_folders,
    highlight_shared,
    output_path_for,
    read_columns,
    render_entry_text,
    render_results_table,
    render_verdict,
    shared_spans,
)

from child_process import default_sigint

REPO = Path(__file__).resolve().parents[1]
DOCS_SCREENSHOT = REPO / "docs" / "images" / "web.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 120


# --- highlighting ------------------------------------------------------------------------


def marked(query, text):
    return [text[start:end] for start, end in shared_spans(query, text)]


def test_spans_shared_bigrams():
    assert marked("屋顶光伏电站", "太阳能光伏发电站建设") == ["光伏", "电站"]


def test_spans_ignore_single_characters():
    assert marked("设备采购", "设施建设") == []


def test_spans_merge_adjacent_bigrams():
    assert shared_spans("分布式光伏电站", "光伏电站") == [(0, 4)]


def test_spans_latin_words_ignore_case():
    assert marked("LED 照明改造", "高效 led 灯具") == ["led"]


def test_spans_skip_numbers():
    assert marked("日处理 300 吨", "规模 300 吨以上") == []


def test_spans_empty_query():
    assert shared_spans("", "光伏发电") == []


def test_highlight_wraps_in_mark():
    assert highlight_shared("光伏项目", "分布式光伏发电") == f'分布式<mark style="{MARK_STYLE}">光伏</mark>发电'


def test_highlight_escapes_html():
    assert highlight_shared("光伏", "<b>光伏</b>&") == f'&lt;b&gt;<mark style="{MARK_STYLE}">光伏</mark>&lt;/b&gt;&amp;'


# --- rendering ---------------------------------------------------------------------------


def make_result(catalogue, scores=(0.8, -0.3), is_green=True, truncated=False, text="城镇污水处理厂提标改造"):
    entries = [catalogue["5.3.1"], catalogue["1.3.9"]]
    matches = [
        Match(rank=rank, code=entry.code, title=entry.title, level1=entry.level1, level2=entry.level2, score=score, retriever_score=score)
        for rank, (entry, score) in enumerate(zip(entries, scores), start=1)
    ]
    return MatchResult(text=text, matches=matches, is_green=is_green, verdict_score=0.61, threshold=0.45, truncated=truncated)


def test_table_rows_in_rank_order(catalogue):
    table = render_results_table(make_result(catalogue), catalogue)
    assert re.findall(r'data-code="([^"]+)"', table) == ["5.3.1", "1.3.9"]


def test_table_has_chinese_headers(catalogue):
    table = render_results_table(make_result(catalogue), catalogue)
    headers = re.findall(r"<th[^>]*>([^<]+)</th>", table)
    assert headers == ["排名", "代码", "条目名称", "一级类别", "二级类别", "分数"]


def test_table_bar_width_maps_score(catalogue):
    table = render_results_table(make_result(catalogue), catalogue)
    # Scores 0.8 and -0.3 fill (score + 1) / 2 of the bar.
    assert re.findall(r'class="gm-bar" style="width:([\d.]+)%', table) == ["90.0", "35.0"]


def test_table_shows_score_numbers(catalogue):
    table = render_results_table(make_result(catalogue), catalogue)
    assert re.findall(r"tabular-nums\">(-?[\d.]+)<", table) == ["0.8000", "-0.3000"]


def test_table_marks_shared_words(catalogue):
    table = render_results_table(make_result(catalogue), catalogue)
    assert f'<mark style="{MARK_STYLE}">污水处理</mark>' in table


def test_table_without_catalogue_has_no_details(catalogue):
    table = render_results_table(make_result(catalogue))
    assert "<details" not in table


def test_table_escapes_titles(catalogue):
    result = make_result(catalogue)
    result.matches[0].title = "<script>x</script>"
    table = render_results_table(result)
    assert "<script>" not in table


def test_verdict_green(catalogue):
    verdict = render_verdict(make_result(catalogue, is_green=True))
    assert "结论：绿色" in verdict


def test_verdict_not_green(catalogue):
    verdict = render_verdict(make_result(catalogue, is_green=False))
    assert "结论：非绿色" in verdict


def test_verdict_shows_score_and_threshold(catalogue):
    verdict = render_verdict(make_result(catalogue), verdict_score="fused")
    assert "判定分数 0.6100（融合分数）≥ 阈值 0.4500" in verdict


def test_verdict_default_threshold_note(catalogue):
    verdict = render_verdict(make_result(catalogue), default_threshold=True)
    assert "没有用标注数据校准" in verdict


def test_verdict_calibrated_has_no_note(catalogue):
    verdict = render_verdict(make_result(catalogue), default_threshold=False)
    assert "校准" not in verdict


def test_verdict_truncation_note(catalogue):
    verdict = render_verdict(make_result(catalogue, truncated=True))
    assert "超过模型的最大长度" in verdict


def test_entry_text_of_top_entry(catalogue):
    entry_html = render_entry_text(make_result(catalogue), catalogue)
    assert "排名第一的条目 5.3.1" in entry_html
    assert "<mark " in entry_html


# --- handlers without a browser ------------------------------------------------------------


def test_column_choice_prefers_text_names():
    assert choose_text_column(["序号", "金额", "贷款用途"]) == "贷款用途"


def test_column_choice_left_to_analyst():
    assert choose_text_column(["2024年绿色贷款台账", "Unnamed: 1"]) is None


def test_output_keeps_csv():
    assert output_path_for("/tmp/x/贷款.csv") == Path("/tmp/x/贷款_匹配结果.csv")


def test_output_of_jsonl_is_xlsx():
    assert output_path_for("/tmp/x/贷款.jsonl").suffix == ".xlsx"


def test_read_columns_of_csv(tmp_path):
    path = tmp_path / "loans.csv"
    path.write_text("序号,贷款用途\n1,光伏电站\n", encoding="utf-8")
    columns, selected, _ = read_columns(str(path))
    assert (columns, selected) == (["序号", "贷款用途"], "贷款用途")


def test_read_columns_empty_file_message(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.warns(UserWarning):  # gr.Warning outside a request falls back to warnings.warn
        columns, _, status = read_columns(str(path))
    assert columns == []
    assert "是空的" in status


def test_read_columns_error_hides_folder(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.warns(UserWarning):
        _, _, status = read_columns(str(path))
    assert str(tmp_path) not in status
    assert "empty.csv" in status


def test_hide_server_folders_keeps_names():
    message = "文件 /tmp/gradio/abc/贷款.csv 与 /tmp/gradio/abc/贷款_匹配结果.xlsx 有误"
    assert hide_server_folders(message, "/tmp/gradio/abc/贷款.csv") == "文件 贷款.csv 与 贷款_匹配结果.xlsx 有误"


@pytest.fixture(scope="module")
def matcher(tiny_model_dir):
    from greenmatch.matcher import Matcher

    return Matcher.from_pretrained(tiny_model_dir)


def test_match_text_renders_codes(matcher):
    from greenmatch.web import match_text

    _, table, _ = match_text(matcher, EXAMPLES[0], 3)
    codes = re.findall(r'data-code="([^"]+)"', table)
    assert len(codes) == 3
    assert all(code in matcher.catalogue for code in codes)


def test_match_text_empty_warns(matcher):
    from greenmatch.web import match_text

    with pytest.warns(UserWarning):
        outputs = match_text(matcher, "   ", 3)
    assert outputs == ("", "", "")


def test_batch_column_conflict_message(matcher, tmp_path):
    from greenmatch.web import run_batch

    path = tmp_path / "again.csv"
    path.write_text("贷款用途,第1匹配代码\n光伏电站,3.2.2\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        status, output = run_batch(matcher, str(path), "贷款用途", 3)
    assert output is None
    assert "已有结果列" in status


def test_batch_error_hides_folder(matcher, tmp_path):
    from greenmatch.web import run_batch

    path = tmp_path / "again.csv"
    path.write_text("贷款用途,第1匹配代码\n光伏电站,3.2.2\n", encoding="utf-8")
    with pytest.warns(UserWarning):
        status, _ = run_batch(matcher, str(path), "贷款用途", 3)
    assert str(tmp_path) not in status
    assert "again.csv" in status


def test_batch_writes_result(matcher, tmp_path):
    from greenmatch.batch import result_columns
    from greenmatch.tables import read_table
    from greenmatch.web import run_batch

    path = tmp_path / "loans.csv"
    path.write_text("贷款用途\n光伏电站\n污水处理厂\n", encoding="utf-8")
    _, output = run_batch(matcher, str(path), "贷款用途", 2)
    assert list(read_table(output).columns) == ["贷款用途"] + result_columns(2)


# --- Space files ---------------------------------------------------------------------------


def test_requirements_match_setup_cfg():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg", encoding="utf-8")
    declared = [line.strip() for line in config["options"]["install_requires"].splitlines() if line.strip()]
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    listed = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert listed == declared


# --- greenmatch serve ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_defaults_to_loopback():
    from greenmatch.commands import serve

    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    args = parser.parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 7860)


def read_line(process, timeout: float) -> str:
    """Read one line of the process's stdout, or return "" when none arrives in time."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline() if ready else ""


SERVE_SCRIPT = """
import argparse, sys
from greenmatch.commands import serve
parser = argparse.ArgumentParser()
serve.add_parser(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.run(args))
"""


def test_serve_starts_and_stops(tiny_model_dir):
    port = free_port()
    command = [sys.executable, "-c", SERVE_SCRIPT, "serve", "--model", tiny_model_dir, "--port", str(port)]
    environment = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment, preexec_fn=default_sigint)
    try:
        first_line = read_line(process, timeout=SERVER_START_SECONDS)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            page = response.read().decode("utf-8")
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert first_line.startswith(f"网页已启动：http://127.0.0.1:{port}/")
    assert PAGE_TITLE in page
    assert "网页已停止" in rest
    assert process.returncode == 0


# --- the page in headless Chromium -------------------------------------------------------------


@pytest.fixture(scope="module")
def server_url(matcher):
    from greenmatch.web import build_app

    demo = build_app(matcher)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


# A mark, not a skip inside a fixture, so that skipped tests do not train the tiny model first.
browser_test = pytest.mark.skipif(os.environ.get("GREENMATCH_SKIP_BROWSER") == "1", reason="GREENMATCH_SKIP_BROWSER=1: browser tests skipped")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. Install it with `apt-get install -y chromium fonts-noto-cjk` "
            "(.ci/run does this), or set GREENMATCH_SKIP_BROWSER=1 to skip the browser tests."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install -e '.[dev]' installs it.")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server_url):
    """A fresh page in a zh-CN browser context that aborts and records every request to another host."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(30_000)
    outside_hosts = []

    def keep_local(route):
        host = urlparse(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            outside_hosts.append(host)
            route.abort()

    context.route("**/*", keep_local)
    page = context.new_page()
    page.outside_hosts = outside_hosts
    page.goto(server_url)
    page.wait_for_selector("#query textarea")
    yield page
    context.close()


def screenshot_path(tmp_path) -> Path:
    """Return docs/images/web.png with GREENMATCH_WRITE_SCREENSHOT=1, else a file in tmp_path."""
    if os.environ.get("GREENMATCH_WRITE_SCREENSHOT") == "1":
        return DOCS_SCREENSHOT
    return tmp_path / "web.png"


def test_screenshot_defaults_to_tmp(tmp_path, monkeypatch):
    monkeypatch.delenv("GREENMATCH_WRITE_SCREENSHOT", raising=False)
    assert screenshot_path(tmp_path) == tmp_path / "web.png"


def test_screenshot_to_docs_on_request(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENMATCH_WRITE_SCREENSHOT", "1")
    assert screenshot_path(tmp_path) == DOCS_SCREENSHOT


@browser_test
def test_page_single_match(page, catalogue, tmp_path):
    page.fill("#query textarea", EXAMPLES[2])
    page.fill("#top-k input[type=number]", "3")
    page.press("#top-k input[type=number]", "Enter")
    page.click("#match-button")
    page.wait_for_selector("#results tr[data-code]")
    page.wait_for_selector("#entry-text .gm-entry-text")
    screenshot = screenshot_path(tmp_path)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=True)

    codes = page.locator("#results tr[data-code]").evaluate_all("rows => rows.map(row => row.dataset.code)")
    assert len(codes) == 3
    assert all(code in catalogue for code in codes)
    assert re.search(r"结论：(绿色|非绿色)", page.inner_text("#verdict"))
    assert "阈值" in page.inner_text("#verdict")
    assert codes[0] in page.inner_text("#entry-text")
    assert page.locator("#results mark").count() > 0
    assert page.title() == PAGE_TITLE
    assert page.outside_hosts == []
    assert screenshot.stat().st_size > 0


@browser_test
def test_page_example_fills_query(page):
    from playwright.sync_api import expect

    page.get_by_text(EXAMPLES[4], exact=True).click()
    expect(page.locator("#query textarea")).to_have_value(EXAMPLES[4])


@browser_test
def test_page_batch_match(page, catalogue, tmp_path):
    from greenmatch.batch import result_columns
    from greenmatch.tables import read_table

    upload = tmp_path / "贷款清单.csv"
    upload.write_text("序号,用途说明\n1,城镇污水处理厂提标改造\n2,\n3,屋顶分布式光伏发电\n4,商业广场招商运营\n", encoding="utf-8")

    page.get_by_role("tab", name="批量匹配").click()
    page.locator("#batch-file input[type=file]").set_input_files(str(upload))
    page.wait_for_selector("#batch-status .gm-info")
    page.locator("#batch-column input").click()
    page.get_by_role("option", name="用途说明").click()
    page.click("#batch-button")
    page.wait_for_selector("#batch-result a[download]")
    with page.expect_download() as download:
        page.locator("#batch-result a[download]").first.click()
    result_path = tmp_path / "downloaded.csv"
    download.value.save_as(result_path)
    page.screenshot(path=str(tmp_path / "batch.png"), full_page=True)

    table = read_table(result_path)
    assert list(table.columns) == ["序号", "用途说明"] + result_columns(3)
    assert list(table["序号"]) == ["1", "2", "3", "4"]
    assert list(table["是否绿色"] != "") == [True, False, True, True]
    assert all(code in catalogue for code in table["第1匹配代码"] if code)
    assert "已完成：共 4 行" in page.inner_text("#batch-status")
    assert page.outside_hosts == []


@browser_test
def test_page_batch_rejects_empty_file(page, tmp_path):
    empty = tmp_path / "空表.csv"
    empty.write_bytes(b"")

    page.get_by_role("tab", name="批量匹配").click()
    page.locator("#batch-file input[type=file]").set_input_files(str(empty))
    page.wait_for_selector("#batch-status .gm-error")

    assert "是空的" in page.inner_text("#batch-status")
