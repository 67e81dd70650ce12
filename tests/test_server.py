"""``lunalint server``: the language server driven by a real LSP client over stdio
(pytest-lsp), one server process for the module, a fresh project folder per test."""

from __future__ import annotations

import asyncio
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Union

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402
from pygls.protocol import default_converter  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

from .conftest import FIXTURES, run_cli, run_json  # noqa: E402

SCENARIO = FIXTURES / "scenarios" / "18-stc-policy-37-escalates-ha101"
SECRET = "Hunter2-very-secret"
WAIT = 30  # seconds before a test gives up waiting for the server (never a timing assertion)


def _converter():
    """lsprotocol's converter, except that a code action carrying a ``command`` is read as a
    CodeAction (lsprotocol 2025.0.0 reads any object with a ``command`` key as a Command)."""
    converter = default_converter()

    def command_or_action(obj, _type):
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, lsp.Command)
        return converter.structure(obj, lsp.CodeAction)

    converter.register_structure_hook(Union[lsp.Command, lsp.CodeAction], command_or_action)
    return converter


def _client() -> LanguageClient:
    client = LanguageClient(converter_factory=_converter)
    client.published = []  # every publishDiagnostics, in order (with versions)
    client.events = []  # ("diagnostics", uri) / ("hover", ...) in the order they arrived

    def publish(ls: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
        ls.diagnostics[params.uri] = params.diagnostics
        ls.published.append(params)
        ls.events.append(("diagnostics", params.uri))

    def register(ls: LanguageClient, params: lsp.RegistrationParams) -> None:
        ls.registrations = params.registrations

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[lsp.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "lunalint", "server"],
                              client_factory=_client,
                              server_env={**os.environ, "LUNALINT_NO_CACHE": "1"}))
async def client(lsp_client: LanguageClient):
    caps = pytest_lsp.client_capabilities("visual-studio-code")
    lsp_client.initialized_with = await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=caps))
    yield
    await lsp_client.shutdown_session()


asyncio_module = pytest.mark.asyncio(loop_scope="module")


def project(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / ".git").mkdir()  # a project: the git work tree
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    return root


def uri(path: Path) -> str:
    return from_fs_path(str(path))


def open_doc(client: LanguageClient, path: Path, text: str | None = None, version: int = 1):
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
        uri(path), "lunalint", version, path.read_text() if text is None else text)))


def change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        lsp.VersionedTextDocumentIdentifier(version, uri(path)),
        [lsp.TextDocumentContentChangeWholeDocument(text)]))


def close(client: LanguageClient, *paths: Path) -> None:
    for path in paths:
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            lsp.TextDocumentIdentifier(uri(path))))


async def diagnostics(client: LanguageClient, path: Path, check, version: int | None = None):
    """Wait for diagnostics of ``path`` (of ``version``) for which ``check`` holds."""
    target = uri(path)

    async def wait():
        while True:
            for params in reversed(client.published):
                if params.uri == target and (version is None or params.version == version):
                    if check(params.diagnostics):
                        return params.diagnostics
                    break
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    return await asyncio.wait_for(wait(), WAIT)


def rng(line, col, end_line, end_col) -> lsp.Range:  # 1-based in, LSP 0-based out
    return lsp.Range(lsp.Position(line - 1, col - 1), lsp.Position(end_line - 1, end_col - 1))


BAD = ("VirtualToken = {\n   VirtualToken00Label = payments;\n"
       "   VirtualToken00SN = 11541234567001;\n"
       "   VirtualToken00Members = 1541234567001, 1541234567002;\n}\n"
       "HASynchronize = {\n   payments = 1;\n}\n"
       "HAConfiguration = {\n   HAOnly = 1;\n   reconnAtt = 0;\n}\n")


@asyncio_module
async def test_initialize_announces_features(client: LanguageClient):
    caps = client.initialized_with.capabilities
    assert caps.hover_provider
    kinds = caps.code_action_provider.code_action_kinds
    assert lsp.CodeActionKind.QuickFix in kinds and "source.fixAll.lunalint" in kinds
    assert "lunalint.selectReason" in caps.execute_command_provider.commands
    # settings files are watched (dynamic registration, as VS Code offers)
    async def registered():
        while not getattr(client, "registrations", None):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(registered(), WAIT)
    watchers = client.registrations[0].register_options["watchers"]
    assert any(".lunalint.yaml" in w["globPattern"] for w in watchers)


@asyncio_module
async def test_bad_config_exact_range_quick_fix_and_hover(client: LanguageClient, tmp_path):
    root = project(tmp_path, {"Chrystoki.conf": BAD})
    conf = root / "Chrystoki.conf"
    open_doc(client, conf)
    diags = await diagnostics(client, conf, lambda ds: any(d.code == "HA102" for d in ds))
    ha102 = next(d for d in diags if d.code == "HA102")
    # the CLI says Chrystoki.conf:11:4 (the entry `reconnAtt = 0;`)
    assert ha102.range == rng(11, 4, 11, 18)
    _, cli = run_json("Chrystoki.conf", cwd=root)  # and every finding as the CLI has it
    assert sorted((d.code, d.range, d.message) for d in diags) == sorted(
        (f["rule"], rng(f["line"], f["column"], f["end_line"], f["end_column"]), f["message"])
        for f in cli["findings"])
    assert ha102.severity == lsp.DiagnosticSeverity.Warning
    assert ha102.source == "lunalint"
    assert ha102.code_description.href.endswith("/docs/rules/HA102.md")

    # hover: the rule's help (same metadata as --explain)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(uri(conf)), lsp.Position(10, 6)))
    text = hover.contents.value
    assert "HA102" in text and "## How to fix" in text and "Vendor reference" in text
    # hover on a known key: its catalog entry
    hover = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(uri(conf)), lsp.Position(9, 5)))
    assert "**HAOnly**" in hover.contents.value and "HAConfiguration" in hover.contents.value

    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri(conf)), ha102.range,
        lsp.CodeActionContext([ha102])))
    quick = [a for a in actions if a.kind == lsp.CodeActionKind.QuickFix]
    fix = next(a for a in quick if "suppress" not in a.title)
    assert "unsafe" in fix.title and not fix.is_preferred  # HA102's fix class is unsafe
    edits = fix.edit.changes[uri(conf)]
    text = _apply(BAD, edits)
    assert "reconnAtt = -1;" in text
    change(client, conf, text, 2)
    await diagnostics(client, conf, lambda ds: not any(d.code == "HA102" for d in ds), 2)

    # suppress with a reason: the directive above the line, the word `reason` selected
    change(client, conf, BAD, 3)
    await diagnostics(client, conf, lambda ds: any(d.code == "HA102" for d in ds), 3)
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri(conf)), ha102.range,
        lsp.CodeActionContext([ha102])))
    suppress = next(a for a in actions if "suppress" in a.title)
    (edit,) = suppress.edit.changes[uri(conf)]
    assert edit.new_text == "   # lunalint: ignore[HA102] reason\n"
    assert edit.range == rng(11, 1, 11, 1)
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(
        suppress.command.command, suppress.command.arguments))
    shown = client.shown_documents[-1]
    assert shown.uri == uri(conf) and shown.selection == rng(11, 30, 11, 36)
    lines = _apply(BAD, [edit]).splitlines()
    assert lines[10][29:35] == "reason"
    change(client, conf, _apply(BAD, [edit]).replace(" reason", " tested by hand"), 4)
    await diagnostics(client, conf, lambda ds: not any(d.code == "HA102" for d in ds), 4)
    close(client, conf)


@asyncio_module
async def test_fix_all_applies_safe_fixes_only(client: LanguageClient, tmp_path):
    text = BAD.replace("   HAOnly = 1;", "\tHAOnly = 1;")
    root = project(tmp_path, {"Chrystoki.conf": text})
    conf = root / "Chrystoki.conf"
    open_doc(client, conf)
    await diagnostics(client, conf, lambda ds: {"SYN002", "HA102"} <= {d.code for d in ds})
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        lsp.TextDocumentIdentifier(uri(conf)), rng(1, 1, 1, 1),
        lsp.CodeActionContext([], only=["source.fixAll.lunalint"])))
    (fix_all,) = actions
    edits = fix_all.edit.changes[uri(conf)]
    assert _apply(text, edits) == BAD  # the tab fixed (safe); `reconnAtt = 0` kept (unsafe)
    assert list(edits) == [lsp.TextEdit(rng(10, 1, 11, 1), "   HAOnly = 1;\n")]  # that line
    assert conf.read_text() == text  # nothing written
    close(client, conf)


def _apply(text: str, edits: list[lsp.TextEdit]) -> str:
    lines = text.splitlines(keepends=True)

    def offset(p: lsp.Position) -> int:
        return sum(len(line) for line in lines[:p.line]) + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


@asyncio_module
async def test_editing_a_capture_changes_the_config_diagnostic(client: LanguageClient,
                                                               tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(SCENARIO, root)
    (root / "expected.yaml").unlink()
    (root / ".git").mkdir()
    conf, capture = root / "Chrystoki.conf", root / "app01.lunacm.txt"
    open_doc(client, conf)
    open_doc(client, capture)
    diags = await diagnostics(client, conf, lambda ds: any(
        d.code == "HA101" and d.severity == lsp.DiagnosticSeverity.Error for d in ds))
    assert next(d for d in diags if d.code == "HA101").range == rng(31, 4, 31, 15)
    # the capture, unsaved: the member no longer uses Secure Trusted Channel
    edited = capture.read_text().replace("Secure Trusted Channel : 1", "Secure Trusted Channel : 0")
    change(client, capture, edited, 2)
    await diagnostics(client, conf, lambda ds: any(
        d.code == "HA101" and d.severity == lsp.DiagnosticSeverity.Warning for d in ds))
    # and back, on disk this time (the buffer closed): the error returns
    close(client, capture)
    await diagnostics(client, conf, lambda ds: any(
        d.code == "HA101" and d.severity == lsp.DiagnosticSeverity.Error for d in ds))
    close(client, conf)


@asyncio_module
async def test_editing_a_config_rechecks_its_captures(client: LanguageClient, tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(FIXTURES / "scenarios" / "02-member-denies-cloning", root)
    (root / "expected.yaml").unlink()
    (root / ".git").mkdir()
    conf, capture = root / "Chrystoki.conf", root / "pay-b.lunacm.txt"
    open_doc(client, capture)
    open_doc(client, conf)
    diags = await diagnostics(client, capture, lambda ds: any(d.code == "POL301" for d in ds))
    (pol301,) = [d for d in diags if d.code == "POL301"]
    assert pol301.range.start == lsp.Position(40, 17)  # the CLI's pay-b.lunacm.txt:41:18
    (related,) = pol301.related_information
    assert related.location.uri == uri(conf)
    assert related.location.range == rng(20, 4, 20, 35)
    assert related.message == "the HA group is defined here"
    # pay-b taken out of the group in the editor (unsaved): its capture's finding goes
    text = conf.read_text().replace(", 1541235567002", "")
    change(client, conf, text, 2)
    await diagnostics(client, capture, lambda ds: not any(d.code == "POL301" for d in ds))
    close(client, conf, capture)


@asyncio_module
async def test_no_secret_in_any_message(client: LanguageClient, tmp_path):
    """The planted passwords and PINs of the secrets test (config, INI and a capture with
    `-password` on its command lines, each on a line with findings), open and edited in the
    editor: none in any diagnostic, related location, code action title, hover or log."""
    from .test_secrets import BRACE, CAPTURE, INI, PLANTED

    root = project(tmp_path, {"Chrystoki.conf": BRACE, "win/crystoki.ini": INI,
                              "admin.lunacm.txt": CAPTURE})
    docs = [root / "Chrystoki.conf", root / "win" / "crystoki.ini", root / "admin.lunacm.txt"]
    for path in docs:
        open_doc(client, path)
    # unsaved text too: a new secret typed in the editor, on a line with a finding
    change(client, docs[0], BRACE.replace("}\nMisc", "   UserPin = PLANT-brace-9\n}\nMisc", 1), 2)
    for path in docs:
        await diagnostics(client, path, lambda ds: len(ds) > 0)
    await diagnostics(client, docs[0], lambda ds: True, 2)
    actions, hovers = [], []
    for path in docs:
        diags = client.diagnostics[uri(path)]
        actions += await client.text_document_code_action_async(lsp.CodeActionParams(
            lsp.TextDocumentIdentifier(uri(path)), rng(1, 1, 40, 1),
            lsp.CodeActionContext(list(diags)))) or []
        for d in diags:
            hovers.append(await client.text_document_hover_async(lsp.HoverParams(
                lsp.TextDocumentIdentifier(uri(path)), d.range.start)))
    seen = repr(client.published) + repr(actions) + repr(hovers) \
        + repr(client.log_messages) + repr(client.messages)
    assert "SYN001" in seen and "admin.lunacm.txt" in seen
    # the spacing fix of `SecretKey\t=\tPLANT-brace-3;` is offered: its edits are the spaces
    assert any(e.new_text == "   " for a in actions if a.edit and a.edit.changes
               for e in a.edit.changes.get(uri(docs[0]), []))
    assert not PLANTED.findall(seen)
    close(client, *docs)


def capture_of(size: int) -> str:
    session = (FIXTURES / "scenarios" / "02-member-denies-cloning" / "pay-b.lunacm.txt") \
        .read_text()
    return session * max(1, size // len(session.encode()))


async def started(client: LanguageClient, since: int, name: str) -> None:
    """Wait until the server says it is checking ``name``."""
    async def wait():
        while not any(name in m.message for m in client.log_messages[since:]):
            await client.wait_for_notification(lsp.WINDOW_LOG_MESSAGE)

    await asyncio.wait_for(wait(), WAIT)


@asyncio_module
async def test_a_big_capture_never_blocks_hover(client: LanguageClient, tmp_path):
    # 5 MB of a session: a real capture, then commands whose long output is not modelled
    # (a cheap 5 MB to lint, so the module stays quick; a run still takes seconds)
    big_text = capture_of(1)
    big_text += ("lunacm:> hsm show\n" + ("x" * 1000 + "\n") * 10) * 520
    assert len(big_text) > 5_000_000
    root = project(tmp_path, {"Chrystoki.conf": BAD, "big.lunacm.txt": big_text})
    conf, big = root / "Chrystoki.conf", root / "big.lunacm.txt"
    open_doc(client, conf)
    await diagnostics(client, conf, lambda ds: any(d.code == "HA102" for d in ds))
    client.events.clear()
    logs = len(client.log_messages)
    open_doc(client, big, big_text)
    await started(client, logs, "big.lunacm.txt")
    hover = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(uri(conf)), lsp.Position(10, 6)))
    client.events.append(("hover", None))
    assert "HA102" in hover.contents.value
    await diagnostics(client, big, lambda ds: True, 1)
    # the hover was answered while the run on the big capture was under way
    assert client.events.index(("hover", None)) < client.events.index(("diagnostics", uri(big)))
    close(client, conf, big)


@asyncio_module
async def test_stale_runs_are_dropped(client: LanguageClient, tmp_path):
    text = capture_of(512 * 1024)
    root = project(tmp_path, {"Chrystoki.conf": BAD, "mid.lunacm.txt": text})
    conf, mid = root / "Chrystoki.conf", root / "mid.lunacm.txt"
    open_doc(client, conf)
    await diagnostics(client, conf, lambda ds: any(d.code == "HA102" for d in ds))
    logs = len(client.log_messages)
    open_doc(client, mid, text)
    await started(client, logs, "mid.lunacm.txt")
    # edits while that run is under way: its result for version 1 is stale, never published,
    # and the edits in a burst make one run (debounced)
    change(client, mid, text + "\n", 2)
    change(client, mid, text + "\n\n", 3)
    await diagnostics(client, mid, lambda ds: True, 3)
    assert [p.version for p in client.published if p.uri == uri(mid)] == [3]
    # the run under way was stopped, not left to finish
    assert any("stopped a stale run" in m.message for m in client.log_messages[logs:])
    close(client, conf, mid)


@asyncio_module
async def test_survives_files_it_cannot_read(client: LanguageClient, tmp_path):
    root = project(tmp_path, {"Chrystoki.conf": BAD,
                              "latin.lunacm.txt": b"lunacm:>slot list\n\xff\xfe\x00bad\n"})
    os.mkfifo(root / "pipe.lunacm.txt")
    (root / "dir.lunash.txt").mkdir()
    conf = root / "Chrystoki.conf"
    open_doc(client, root / "dir.lunash.txt", "")  # a directory the editor calls a file
    open_doc(client, root / "pipe.lunacm.txt", "")
    open_doc(client, root / "latin.lunacm.txt", "lunacm:>slot list\n\xff\xfe\x00bad\n")
    open_doc(client, conf)
    diags = await diagnostics(client, conf, lambda ds: any(d.code == "HA102" for d in ds))
    assert diags
    pipe = await diagnostics(client, root / "pipe.lunacm.txt", lambda ds: True)
    assert [d.code for d in pipe] == ["SYN001"]
    hover = await client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(uri(conf)), lsp.Position(10, 6)))
    assert "HA102" in hover.contents.value
    # a link out of the project, opened in the editor: refused as the CLI refuses it, even
    # though the editor sent its text (and an edit of it)
    outside = tmp_path / "outside.lunacm.txt"
    shutil.copy(FIXTURES / "scenarios" / "02-member-denies-cloning" / "pay-b.lunacm.txt",
                outside)
    link = root / "link.lunacm.txt"
    link.symlink_to(outside)
    open_doc(client, link, outside.read_text())
    change(client, link, outside.read_text() + "\n", 2)
    (refused,) = await diagnostics(client, link, lambda ds: True, 2)
    assert refused.code == "SYN001" and "outside the project" in refused.message
    close(client, conf, root / "dir.lunash.txt", root / "pipe.lunacm.txt",
          root / "latin.lunacm.txt", link)


@asyncio_module
async def test_settings_reread_when_they_change(client: LanguageClient, tmp_path):
    root = project(tmp_path, {"Chrystoki.conf": BAD})
    conf = root / "Chrystoki.conf"
    open_doc(client, conf)
    await diagnostics(client, conf, lambda ds: any(d.code == "HA102" for d in ds))
    (root / ".lunalint.yaml").write_text("ignore: [HA102]\n")
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams([lsp.FileEvent(
        uri(root / ".lunalint.yaml"), lsp.FileChangeType.Created)]))
    await diagnostics(client, conf, lambda ds: not any(d.code == "HA102" for d in ds))
    close(client, conf)


@asyncio_module
async def test_runbooks_and_documents_not_on_disk(client: LanguageClient, tmp_path):
    """Every kind of file the CLI reads: a runbook embedding a configuration (findings on
    the host's lines, its inline directive honoured), and a document with no file yet."""
    runbook = Path(__file__).resolve().parent.parent / "examples" / "runbook" \
        / "payments-runbook.md"
    root = project(tmp_path, {"runbook.md": runbook.read_text()})
    host = root / "runbook.md"
    open_doc(client, host)
    diags = await diagnostics(client, host, lambda ds: any(d.code == "HA113" for d in ds))
    _, cli = run_json("runbook.md", cwd=root)
    assert sorted((d.code, d.range.start.line + 1, d.range.start.character + 1, d.message)
                  for d in diags) == sorted(
        (f["rule"], f["line"], f["column"], f["message"]) for f in cli["findings"]
        if f["suppressed"] is None)  # the HA102 the runbook suppresses is not shown
    assert "HA102" not in {d.code for d in diags}
    new = root / "sub" / "Chrystoki.conf"
    open_doc(client, new, BAD)
    diags = await diagnostics(client, new, lambda ds: any(d.code == "HA102" for d in ds))
    assert next(d for d in diags if d.code == "HA102").range == rng(11, 4, 11, 18)
    close(client, host, new)


def test_a_folder_named_server_is_linted_as_dot_slash_server(tmp_path):
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "Chrystoki.conf").write_text(BAD)
    proc = run_cli("./server", cwd=tmp_path)
    assert proc.returncode == 1 and "HA102" in proc.stdout
    proc = run_cli("server", "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "usage: lunalint server" in proc.stdout


def test_without_the_extra_one_line_and_exit_2(tmp_path):
    """`lunalint server` where pygls is not importable: one line with the install command."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\nclass B:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('pygls', 'lsprotocol'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, B())\n")
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    proc = subprocess.run([sys.executable, "-m", "lunalint", "server"], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "lunalint: error: `lunalint server` needs the server extra: "
        "pip install 'lunalint[server]'"]


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SNIPPET = re.compile(r"<!-- snippet: (editor-[\w-]+) -->\n```(\w+)\n(.*?)^```",
                     re.DOTALL | re.MULTILINE)
EDITOR = {name: body for name, _lang, body in SNIPPET.findall(README)}

# Neovim 0.7 (Debian 12) has neither vim.lsp.start nor vim.fs: the calls they stand for.
NVIM_07 = """
if vim.lsp.start == nil then
  vim.lsp.start = function(config)
    local id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(0, id)
    return id
  end
end
if vim.fs == nil then
  vim.fs = {
    dirname = function(p) return p and vim.fn.fnamemodify(p, ":h") or nil end,
    find = function(names, opts)
      for _, n in ipairs(names) do
        local f = vim.fn.findfile(n, opts.path .. ";")
        if f == "" then f = vim.fn.finddir(n, opts.path .. ";") end
        if f ~= "" then return { (vim.fn.fnamemodify(f, ":p"):gsub("/$", "")) } end
      end
      return {}
    end,
  }
end
"""
REPORT = """
vim.api.nvim_create_autocmd("DiagnosticChanged", {
  callback = function()
    local found = vim.diagnostic.get(0)
    if #found == 0 then return end
    local out = io.open(vim.env.LUNALINT_NVIM_OUT, "w")
    for _, d in ipairs(found) do
      out:write(string.format("%d:%d %s\\n", d.lnum + 1, d.col + 1, d.code))
    end
    out:close()
    vim.cmd("qall!")
  end,
})
vim.defer_fn(function() vim.cmd("qall!") end, 30000)
"""


def test_editor_snippets_parse():
    import json

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    assert json.loads(EDITOR["editor-vscode"])["glspc.serverCommandArguments"] == ["server"]
    helix = tomllib.loads(EDITOR["editor-helix"])
    assert helix["language-server"]["lunalint"] == {"command": "lunalint", "args": ["server"]}


@pytest.mark.skipif(shutil.which("nvim") is None, reason="Neovim is not installed")
def test_neovim_snippet_shows_the_findings(tmp_path):
    """The README's Neovim snippet in a real headless Neovim: the findings arrive."""
    root = project(tmp_path, {"Chrystoki.conf": BAD})
    init = tmp_path / "init.lua"
    init.write_text(NVIM_07 + EDITOR["editor-neovim"] + REPORT)
    out = tmp_path / "diagnostics.txt"
    env = {**os.environ, "LUNALINT_NVIM_OUT": str(out), "XDG_STATE_HOME": str(tmp_path),
           "XDG_CACHE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    subprocess.run(["nvim", "--headless", "--clean", "-u", str(init), "Chrystoki.conf"],
                   cwd=root, env=env, timeout=60, capture_output=True,
                   stdin=subprocess.DEVNULL)
    assert out.read_text().splitlines() == ["11:4 HA102"]
