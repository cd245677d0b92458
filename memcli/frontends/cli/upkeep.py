"""Commands that look after the store: export, import, stats, reindex, config, prune."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from memcli.base.vocab import Actor
from memcli.frontends.cli import render
from memcli.frontends.cli.state import JsonOpt, UserOpt, YesOpt, confirm, handled, state, user_of


@handled
def export(
    user: Optional[str] = UserOpt,
    all_users: bool = typer.Option(False, "--all-users", help="Export every user."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    no_vectors: bool = typer.Option(False, "--no-vectors", help="Leave embeddings out (smaller; import re-embeds)."),
    redact: Optional[bool] = typer.Option(None, "--redact/--no-redact",
                                          help="Mask sensitive values (for sharing; leaves vectors out). "
                                               "Default: config export_redact (on in the private strategy)."),
) -> None:
    """Export memories, history and chats as JSON (lossless unless redacted; see `import`)."""
    from memcli.base.files import write_private

    st = state()
    if redact is None:
        redact = st.config.export_redact
    doc = st.memory().export(user_of(user), all_users=all_users, include_vectors=not no_vectors, redact=redact)
    data = json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    if output is None or str(output) == "-":
        stream = st.env.output
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            buffer.write(data)
        else:
            stream.write(data.decode("utf-8"))
        stream.flush()
    else:
        write_private(output, data)
        st.render.note(f"wrote {len(doc['memories'])} memories to {output}")


@handled
def import_(
    file: str = typer.Argument(..., metavar="PATH",
                               help="An export: a file, a folder or a .zip ('-': a memory export on stdin). "
                                    "memcli, Mem0, OpenMemory, MCP memory.json, ChatGPT, Claude, WhatsApp, "
                                    "Telegram."),
    user: Optional[str] = typer.Option(None, "--user", "-u", help="The user to import for (and for records that "
                                                                   "name none)."),
    format_: Optional[str] = typer.Option(None, "--format", "-f", help="The export's format, instead of detecting "
                                                                        "it."),
    me: Optional[str] = typer.Option(None, "--me", help="Which speaker you are, in a chat between people "
                                                        "(WhatsApp, Telegram)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only messages from this date (or age: 90d) on."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read the export and say what would come in; store "
                                                          "nothing."),
    raw: bool = typer.Option(False, "--raw", help="Keep what was said as sentences, without extracting facts "
                                                  "(faster)."),
    as_json: bool = JsonOpt,
) -> None:
    """Import an export: memories from another memory tool, or a chat history at its real times."""
    st = state()
    if file == "-":
        from memcli.storage.export_format import load_document, read_document

        raw_doc, name = read_document(file, st.env.input)
        report = {"kind": "memories", **st.memory().import_data(load_document(raw_doc, name),
                                                                 user_id=user_of(user)).to_dict()}
    else:
        report = st.memory().import_path(file, user_of(user), format=format_, me=me, since=since, infer=not raw,
                                         dry_run=dry_run, progress=None if as_json else st.render.progress)
    if as_json:
        st.render.json(report)
    elif report["kind"] == "history":
        st.render.line(history_summary(report))
    elif report.get("dry_run"):
        st.render.line(f"{file}: a {report['format']} export; nothing was stored (--dry-run)")
    elif report["already_imported"] and not report["imported"]:
        st.render.line(f"Nothing new: this document was imported before (for {', '.join(report['already_imported'])})")
    else:
        st.render.line(
            f"Imported {report['imported']} memories ({report['skipped_duplicates']} already known, "
            f"{report['reembedded']} re-embedded) from a {report['source']} export"
            + (f"; {report['refused']} not stored by the privacy policy" if report["refused"] else ""))


def history_summary(r: dict[str, Any]) -> str:
    """A chat import's report in a few lines."""
    span = f"{r['first'][:10]} to {r['last'][:10]}" if r["first"] else "no new messages"
    lines = [f"{r['format']} export {r['source']}: {r['conversations']} conversations, {r['messages']} new messages "
             f"({span})" + (", nothing stored (--dry-run)" if r["dry_run"] else "")]
    if r["speakers"]:
        lines.append("speakers: " + ", ".join(f"{who} ({n})" for who, n in
                                               sorted(r["speakers"].items(), key=lambda kv: -kv[1])[:12]))
    if r["date_order"]:
        lines.append(f"dates read as {r['date_order']}")
    skipped = [f"{r['already']} imported before" if r["already"] else "",
               f"{r['before_since']} before --since" if r["before_since"] else "",
               f"{r['placeholders']} media or deleted-message placeholders" if r["placeholders"] else ""]
    if any(skipped):
        lines.append("left out: " + ", ".join(s for s in skipped if s))
    if not r["dry_run"]:
        lines.append(f"stored {r['memories']} memories ({r['facts']} facts and events) in {r['seconds']} s")
    return "\n".join(lines)


@handled
def stats(user: Optional[str] = typer.Option(None, "--user", "-u", help="Only this user."),
          as_json: bool = JsonOpt) -> None:
    """Counts and sizes of what is stored."""
    st = state()
    data = st.memory().stats(user)
    if as_json:
        st.render.json(data)
    else:
        st.render.fields(data, width=15)


@handled
def reindex(user: Optional[str] = typer.Option(None, "--user", "-u", help="Only this user (default: all)."),
            as_json: bool = JsonOpt) -> None:
    """Rebuild the search index from the vectors stored in the database."""
    st = state()
    report = st.memory().reindex(user)
    if as_json:
        st.render.json(report)
    else:
        total = sum(report["users"].values())
        st.render.line(f"Reindexed {total} memories of {len(report['users'])} users in {report['seconds']} s")


@handled
def config_(as_json: bool = JsonOpt) -> None:
    """Show the resolved settings and where everything lives, and which of them
    the strategy's preset decided (a setting in the config file always wins)."""
    from memcli.memory import model_trust
    from memcli.base.config import STRATEGY_HELP

    st = state()
    data = st.config.to_dict()
    data["model_trust"] = model_trust(st.config)
    if as_json:
        st.render.json(data)
        return
    paths = data.pop("paths")
    chat = data.pop("chat")
    privacy = data.pop("privacy")
    trust = data.pop("model_trust")
    decided = set(data.pop("preset_decided"))
    strategy = data["strategy"]
    st.render.fields(paths, width=8)
    st.render.line("")
    st.render.line(f"strategy {strategy!r}: {STRATEGY_HELP[strategy]}")
    st.render.line(f"  its preset decided: {', '.join(sorted(decided))}" if decided
                   else "  its preset decided nothing (the defaults, or your config sets it all)")
    st.render.line("")

    def line(name: str, value: Any) -> None:
        st.render.line(f"{name.rpartition('.')[2]} = {value!r}" + ("  # by the strategy" if name in decided else ""))

    for key, value in data.items():
        if key != "config_path":
            line(key, value)
    for section, values in (("chat", chat), ("privacy", privacy)):
        st.render.line(f"[{section}]")
        for key, value in values.items():
            line(f"{section}.{key}", value)
    st.render.line("")
    st.render.line(f"chat model: {trust['model']}: {trust['status']}")
    verdict = trust.get("verdict")
    if verdict:
        for task, other in (("extraction", "rules"), ("summaries", "extractive")):
            mine, theirs = verdict[task]["llm"], verdict[task][other]
            st.render.line(f"  {task}: model {mine}, {other} {theirs} -> {verdict[task]['use']}")


@handled
def prune(
    user: Optional[str] = UserOpt,
    threshold: float = typer.Option(0.05, "--threshold", min=0.0, max=1.0, help="Retention below which a memory goes."),
    apply: bool = typer.Option(False, "--apply", help="Delete them (default: only show what would go)."),
    consolidate: bool = typer.Option(
        False, "--consolidate",
        help="Replace each group of related faded memories by one summary, instead of deleting them."),
    similarity: float = typer.Option(0.45, "--similarity", min=0.01, max=1.0,
                                     help="With --consolidate: how alike memories must be to share a summary."),
    yes: bool = YesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Forget memories that have faded, and move those fading into the cold tier
    (config cold_below) or back (a dry run unless --apply)."""
    st = state()
    mem = st.memory()
    who = user_of(user)
    if consolidate:
        _consolidate(mem, who, threshold, similarity, apply, yes, as_json)
        return
    faded = mem.prune(who, threshold)
    if apply and faded:
        confirm(f"Delete {len(faded)} faded memories of {who!r}?", yes)
        mem.delete_many([item.id for item, _ in faded], actor=Actor.CLI, reason=f"pruned: retention below {threshold}")
    plan = mem.tier(who, apply=apply)
    if not apply:  # what is about to be deleted is not also moved
        going = {item.id for item, _ in faded}
        plan.to_cold = [(item, r) for item, r in plan.to_cold if item.id not in going]
    rows = [{"id": i.id, "memory": i.memory, "retention": round(r, 4), "importance": i.importance,
             "access_count": i.access_count, "last_used": i.last_used} for i, r in faded]
    if as_json:
        st.render.json({"applied": apply, "threshold": threshold, "results": rows, "tiers": plan.to_dict()})
        return
    if not rows:
        st.render.note(f"nothing has faded below {threshold}")
    else:
        st.render.print(render.prune_table(rows, apply))
    if plan.to_cold or plan.to_hot:
        st.render.print(render.tier_table(plan))
    else:
        st.render.note(f"no memory changes tier (cold below retention {plan.cold_below})")


def _consolidate(mem: Any, who: str, threshold: float, similarity: float, apply: bool, yes: bool,
                 as_json: bool) -> None:
    st = state()
    groups = mem.consolidate(who, threshold, similarity=similarity)
    if apply and groups:
        count = sum(len(g.members) for g in groups)
        confirm(f"Replace {count} faded memories of {who!r} by {len(groups)} summaries?", yes)
        groups = mem.consolidate(who, threshold, similarity=similarity, apply=True, actor=Actor.CLI)
    if as_json:
        st.render.json({"applied": apply, "threshold": threshold, "similarity": similarity,
                        "results": [g.to_dict() for g in groups]})
    elif not groups:
        st.render.note(f"no group of related memories has faded below {threshold}")
    else:
        st.render.print(render.consolidation_table(groups, apply))
