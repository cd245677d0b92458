"""``memcli models``: the GGUF models on this machine, and choosing one."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from memcli.base.errors import InvalidInput, ModelError
from memcli.frontends.cli.state import JsonOpt, handled, state


@handled
def models(
    action: Optional[str] = typer.Argument(None, metavar="[pull|rm]", help="pull: download a GGUF from the Hugging "
                                                                          "Face Hub; rm: remove a pulled one."),
    spec: Optional[str] = typer.Argument(None, metavar="[OWNER/REPO/FILE.gguf]", help="The model to pull or remove."),
    use: Optional[str] = typer.Option(None, "--use", help="Make NAME (a listed name, a prefix, or a path) the chat "
                                                           "model: writes [chat] model in the config file. "
                                                           "'pull --use OWNER/REPO/FILE.gguf' pulls and uses it."),
    as_json: bool = JsonOpt,
) -> None:
    """List the GGUF models found on this machine (Ollama, LM Studio, Hugging Face
    cache, llama.cpp cache, [chat] model_dirs, bundled), read from their headers;
    `memcli models pull OWNER/REPO/FILE.gguf` downloads one into the Hugging Face
    cache (resumable, checked), `memcli models rm ...` removes it."""
    if action is not None:
        use_it = use is not None
        if action == "pull" and spec is None and use:
            spec = use  # `memcli models pull --use OWNER/REPO/FILE.gguf`
        _pull_or_remove(action, spec, as_json, use_it=use_it)
        return
    if spec is not None:
        raise typer.BadParameter(f"unexpected {spec!r}: did you mean 'memcli models pull {spec}'?")
    from rich.table import Table

    from memcli.base.config import default_config_path, set_chat_model
    from memcli.models.catalog import human_count, human_size, looks_like_path
    from memcli.models.loading import ModelOpener

    st = state()
    cfg = st.config
    opener = ModelOpener.from_config(cfg)
    catalog = opener.catalog()
    if use is not None:
        if not use.strip():
            raise InvalidInput("--use needs a model name or a path")
        if looks_like_path(use):
            choice = opener.choose(use)  # checks the file the way chat will
            value = str(choice.path.resolve())
        else:
            value = catalog.find(use).name
        target = Path(cfg.config_path) if cfg.config_path else default_config_path()
        set_chat_model(target, value)
        if as_json:
            st.render.json({"model": value, "config": str(target)})
        else:
            st.render.line(f"chat model set to {value} in {target}", wrap=True)
        return
    current = cfg.chat.model
    if current and not looks_like_path(current):
        try:
            current = catalog.find(current).name
        except ModelError:  # a configured name no longer found: nothing is marked
            pass
    if as_json:
        st.render.json({
            "models": [dict(e.as_dict(), current=_is_current(current, e.name, e.path)) for e in catalog.entries],
            "skipped": [{"path": str(path), "reason": reason} for path, reason in catalog.skipped],
        })
        return
    if not catalog.entries:
        st.render.line("no GGUF models found; searched Ollama, LM Studio, the Hugging Face and llama.cpp caches, "
                       "and [chat] model_dirs")
        return
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column, justify in (("", "left"), ("name", "left"), ("source", "left"), ("size", "right"),
                            ("quant", "left"), ("params", "right"), ("context", "right"), ("chat", "left")):
        # a name is typed by people: wrapped in its cell, never cut short
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for entry in catalog.entries:
        info = entry.info
        mark = "*" if _is_current(current, entry.name, entry.path) else ""
        if info is None:
            table.add_row(mark, entry.name, entry.source, "", "", "", "", "")
            continue
        table.add_row(mark, entry.name, entry.source, human_size(info.size), info.quantization,
                      human_count(info.parameters), f"{info.context_length:,}" if info.context_length else "?",
                      "yes" if info.has_chat_template else "no (base)")
    st.render.print(table)
    st.render.line("")
    home = str(Path.home())
    for entry in catalog.entries:
        where = str(entry.path)
        where = "~" + where[len(home):] if home != "/" and where.startswith(home + "/") else where
        st.render.line(f"{entry.name}: {where}" + (f" ({entry.note})" if entry.note else ""), wrap=True)
    for path, reason in catalog.skipped:
        st.render.note(f"skipped {path}: {reason}")
    st.render.note("* the configured model. 'memcli chat --model NAME' for one chat, "
                   "'memcli models --use NAME' to keep it.")


def _pull_or_remove(action: str, spec: str | None, as_json: bool, use_it: bool) -> None:
    from memcli.base.config import default_config_path, set_chat_model
    from memcli.models.pull import pull, remove

    if action not in ("pull", "rm"):
        raise typer.BadParameter(f"unknown action {action!r}: pull or rm")
    if not spec:
        raise InvalidInput(f"memcli models {action} needs a model: OWNER/REPO/FILE.gguf")
    st = state()
    if action == "rm":
        gone = remove(spec)
        if as_json:
            st.render.json({"removed": [str(p) for p in gone]})
        else:
            st.render.line(f"removed {spec} ({len(gone)} revision{'s' if len(gone) > 1 else ''})")
        return
    got = pull(spec, progress=None if as_json else st.render.progress)
    report = {"model": spec, "path": str(got.path), "size": got.size, "sha256": got.sha256,
              "already": got.already}
    if use_it:
        target = Path(st.config.config_path) if st.config.config_path else default_config_path()
        set_chat_model(target, str(got.path))
        report["config"] = str(target)
    if as_json:
        st.render.json(report)
        return
    st.render.line(f"{spec}: {'already here' if got.already else 'pulled'}, {got.size / 1e6:,.0f} MB, "
                   f"sha256 checked, in {got.path}", wrap=True)
    if use_it:
        st.render.line(f"chat model set to {got.path} in {report['config']}", wrap=True)


def _is_current(configured: str, name: str, path: Path) -> bool:
    if not configured:
        return name == "gemma3-270m"
    if configured == name:
        return True
    try:
        return Path(configured).expanduser().resolve() == path.resolve()
    except OSError:
        return False
