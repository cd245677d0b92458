"""The chat templates of the model families people pull, each read from a GGUF
header written for the test, rendering what memcli's chat puts in a prompt:
the profile, the recalled memories and the session's history, ready for the
answer, with generation stopping at the family's end of turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pytest

from gguf_files import chat_model_meta, write_gguf
from memcli import Config, Memory
from memcli.chat import ChatSession
from memcli.models.gguf import inspect
from memcli.models.llama import render_template, template_stops
from memcli.models.scripted import ScriptedLLM

TEMPLATES = Path(__file__).parent / "data" / "chat_templates"
# family: (template file, BOS, EOS, the end of an answer, the start of the answer)
FAMILIES = {
    "llama3": ("llama3.jinja", "<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>",
               "<|start_header_id|>assistant<|end_header_id|>\n\n"),
    "qwen2.5": ("qwen2.5.jinja", "", "<|im_end|>", "<|im_end|>", "<|im_start|>assistant\n"),
    "qwen3": ("qwen3.jinja", "", "<|im_end|>", "<|im_end|>", "<|im_start|>assistant\n"),
    "gemma3": ("gemma3.jinja", "<bos>", "<eos>", "<end_of_turn>", "<start_of_turn>model\n"),
    "phi3": ("phi3.jinja", "<s>", "<|endoftext|>", "<|end|>", "<|assistant|>\n"),
    "mistral": ("mistral.jinja", "<s>", "</s>", "</s>", "[/INST]"),
}


class Recording(ScriptedLLM):
    """A scripted model with a chat template: keeps the messages of each turn."""

    def __init__(self, replies: Sequence[str]) -> None:
        super().__init__(replies, chat_template=True)
        self.turns: list[list[dict[str, Any]]] = []

    def stream_chat(self, messages: Any, *, max_tokens: int, temperature: float) -> Any:
        self.turns.append([dict(m) for m in messages])
        return super().stream_chat(messages, max_tokens=max_tokens, temperature=temperature)


@pytest.fixture(params=["keep", "drop"])
def messages(request: pytest.FixtureRequest, tmp_path: Path) -> list[dict[str, Any]]:
    """The messages of a second turn of a chat with someone memcli knows, with
    the assistant's earlier answer kept and dropped (as for small models)."""
    config = Config(embedder="fake", user="mina")
    config.chat.history_answers = request.param
    with Memory(path=tmp_path / "m.db", config=config) as m:
        m.add("I live in Busan.", user_id="mina", infer=True)
        m.add("My dog Biscuit loves the beach.", user_id="mina")
        llm = Recording(["Pottery sounds fun!", "Biscuit."])
        chat = ChatSession(m, llm, config.chat, "mina")
        "".join(chat.turn("I started a pottery class today."))
        "".join(chat.turn("What is my dog called?"))
        chat.close()
    return llm.turns[-1]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_family_renders_the_profile_memories_and_history_and_stops_at_its_end_of_turn(
        family: str, messages: list[dict[str, Any]], tmp_path: Path) -> None:
    name, bos, eos, end, opening = FAMILIES[family]
    path = write_gguf(tmp_path / f"{family}.gguf",
                      chat_model_meta(**{"tokenizer.chat_template": (TEMPLATES / name).read_text()}))
    template = inspect(path).chat_template
    prompt = render_template(template, messages, bos=bos, eos=eos)
    profile, memory, earlier, line = (prompt.find("Lives in Busan"), prompt.find("Biscuit loves the beach"),
                                      prompt.find("pottery class"), prompt.find("What is my dog called?"))
    assert -1 not in (profile, memory, earlier, line), prompt
    assert profile < earlier < line and memory < line  # the stable front first, the line last
    assert prompt.rstrip().endswith(opening.rstrip()) and prompt.count("What is my dog called?") == 1
    stops = template_stops(template, eos)
    assert end in stops
    answered = prompt + "Biscuit." + end + "junk the model runs on with"
    said = answered[len(prompt):]
    cut = min(i for i in (said.find(s) for s in stops) if i >= 0)
    assert said[:cut] == "Biscuit."
