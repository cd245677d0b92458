"""Users are never mixed: property tests with interleaved writers."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memcli import Config, Memory
from memcli.chat import ChatSession
from memcli.models.scripted import ScriptedLLM

USERS = ["ana", "ben", "cai"]
TEMPLATES = [
    "I live in {m}",
    "I love {m} on weekends",
    "Yesterday I went to {m}",
    "my notes about {m}",
    "I work as a nurse at {m}",
]
operations = st.lists(
    st.tuples(st.sampled_from(USERS), st.sampled_from(["raw", "infer", "episode", "chat"]),
              st.integers(0, len(TEMPLATES) - 1)),
    min_size=1, max_size=18,
)


def marker(user: str, n: int) -> str:
    return f"Zq{user.capitalize()}{n}x"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations)
def test_no_query_of_one_user_shows_another_users_data(ops) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        llm = ScriptedLLM(n_ctx=2048)
        with Memory(path=Path(tmp) / "iso.db", config=Config(embedder="fake", user="ana")) as m:
            for n, (user, op, t) in enumerate(ops):
                text = TEMPLATES[t].format(m=marker(user, n))
                if op == "raw":
                    m.add(text, user_id=user)
                elif op == "infer":
                    m.add(text, user_id=user, infer=True)
                elif op == "episode":
                    m.record_episode(user, "event", text)
                else:
                    chat = ChatSession(m, llm, m.config.chat, user)
                    "".join(chat.turn(text))
                    chat.close()
            everyone = {marker(u, n) for n, (u, _, _) in enumerate(ops) for u in [u]}
            for user in USERS:
                foreign = {marker(u, n) for n, (u, _, _) in enumerate(ops) if u != user}
                seen: list[str] = []
                for query in ["where do I live", "what do I love", *sorted(everyone)[:6]]:
                    seen += [h.memory for h in m.search(query, user_id=user, limit=50, include_past=True)]
                    assert all(h.user_id == user for h in m.search(query, user_id=user, limit=50))
                seen += [i.memory for i in m.get_all(user_id=user, include_past=True)]
                seen += [e.memory for e in m.episodes(user, limit=None)]
                seen.append(json.dumps(m.export(user)))
                blob = "\n".join(seen)
                assert not {f for f in foreign if f in blob}, "another user's data in search/list/episodes/export"
                prompt_llm = ScriptedLLM(["ok"])
                chat = ChatSession(m, prompt_llm, m.config.chat, user, use_memory=True)
                question = "tell me everything you remember about " + " ".join(sorted(everyone))
                "".join(chat.turn(question))
                # the question itself names every marker; nothing else in the prompt may
                prompt_body = prompt_llm.prompts[0].replace(question, "")
                assert not any(f in prompt_body for f in foreign), prompt_body


def test_id_based_calls_with_a_user_never_reach_another_users_memory(tmp_path) -> None:
    from memcli import NotFound

    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake")) as m:
        [bob] = m.add("bob's secret recipe", user_id="bob")
        for call in (lambda: m.get(bob.id, user_id="alice"), lambda: m.why(bob.id, user_id="alice"),
                     lambda: m.history(bob.id, user_id="alice"), lambda: m.update(bob.id, "x", user_id="alice"),
                     lambda: m.pin(bob.id, user_id="alice"), lambda: m.delete(bob.id, user_id="alice"),
                     lambda: m.delete_many([bob.id], user_id="alice")):
            with pytest.raises(NotFound, match=f"no memory with id {bob.id}"):
                call()
        assert m.get(bob.id, user_id="bob").memory == "bob's secret recipe"


def test_two_people_starting_in_the_same_second_get_sessions_of_their_own(tmp_path, monkeypatch) -> None:
    """A fresh id that happens to be in use already is drawn again: before, the
    second person was refused ("no session ... for user") or, the same person,
    continued an old session."""
    from datetime import datetime, timezone

    import memcli.services.short_term as short_term

    drawn = ["a1b2c3", "a1b2c3", "d4e5f6"]  # the second person's first draw is the first person's id
    real = short_term.secrets.token_hex
    monkeypatch.setattr(short_term.secrets, "token_hex", lambda n: drawn.pop(0) if n == 3 and drawn else real(n))
    frozen = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    with Memory(path=tmp_path / "m.db", config=Config(embedder="fake"), clock=lambda: frozen) as m:
        ana, ana_existed = m.start_session(user_id="ana")
        bob, bob_existed = m.start_session(user_id="bob")
        assert (ana_existed, bob_existed) == (False, False)
        assert ana.id != bob.id and m.session(bob.id).user_id == "bob"
