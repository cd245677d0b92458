"""Reliability: memcli tried as a hostile or unlucky user would, with figures by family.

    python bench/reliability.py [--kills 100] [--first-use 50] [--quick]

Families (each prints how many trials ran and how many went wrong):

- bad inputs: a corpus of >= 100 malformed arguments, dates, ids, limits,
  import documents and paths, each through the real CLI; a trial fails if it
  prints a traceback, exits 0 when it should not, or changes the store;
- kill -9: a writer (adds, imports, a chat) killed at a random moment; a trial
  fails if a memory whose commit was reported is missing afterwards, or an
  import is found half done;
- indexes: swapped (another user's files), truncated, replaced by garbage,
  missing, the folder replaced by a file; each must be detected and rebuilt
  (or reported) with nothing lost;
- writers: two and three processes adding at once, with a searcher; no lost
  write, no "database is locked";
- first use: several processes opening a new, empty data folder at once;
- imports: the same document imported by two processes at once: one copy;
- erasure: a planted user forgotten, every file's bytes scanned;
- file modes: every file 0600 and folder 0700, under umask 000.

Everything runs in temporary folders, with the fake embedder. ``--quick`` runs
the subset the test suite also runs (tests/test_reliability.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
TRACEBACK = "Traceback (most recent call last)"


@dataclass
class Family:
    name: str
    trials: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        self.trials += 1
        if not ok:
            self.failures.append(what)


def make_home(folder: Path, user: str = "alice") -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(f'user = "{user}"\nembedder = "fake"\n[chat]\nmodel = "fake"\n')
    env = {**os.environ, "MEMCLI_HOME": str(folder), "HF_HUB_OFFLINE": "1"}
    env.pop("XDG_DATA_HOME", None)
    env.pop("XDG_CONFIG_HOME", None)
    return env


def memcli(args: list[str], env: dict[str, str], stdin: bytes | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "memcli", *args], env=env, input=stdin, capture_output=True,
                          timeout=timeout)


# --- bad inputs ---------------------------------------------------------------------------


def bad_documents(folder: Path) -> dict[str, Path]:
    """Import files that are wrong in every way the probe found, and more."""
    folder.mkdir(parents=True, exist_ok=True)
    export = {"format": "memcli-export", "schema_version": 3}
    docs: dict[str, Any] = {
        "deep nesting": "[" * 1_000_000 + "]" * 1_000_000,
        "huge number": '{"format": "memcli-export", "schema_version": 3, "memories": [{"memory": "x", '
                       '"user_id": "a", "reinforced": ' + "9" * 100_000 + "}]}",
        "id is a list": {**export, "memories": [{"memory": "x", "user_id": "a", "id": [1, 2]}]},
        "message_ids is a number": {**export, "memories": [{"memory": "x", "user_id": "a",
                                                            "source": {"message_ids": 7}}]},
        "history memory_id an object": {**export, "memories": [{"memory": "x", "user_id": "a", "id": 1}],
                                        "history": [{"memory_id": {"a": 1}, "user_id": "a", "event": "UPDATE"}]},
        "history event a number": {**export, "memories": [], "history": [{"memory_id": 1, "event": 5}]},
        "schema version a string": {"format": "memcli-export", "schema_version": "3", "memories": []},
        "schema version from the future": {"format": "memcli-export", "schema_version": 99, "memories": []},
        "schema version true": {"format": "memcli-export", "schema_version": True, "memories": []},
        "memories an object": {**export, "memories": {"a": 1}},
        "memory not an object": {**export, "memories": [5]},
        "memory text a number": {**export, "memories": [{"memory": 5, "user_id": "a"}]},
        "memory text empty": {**export, "memories": [{"memory": "  ", "user_id": "a"}]},
        "memory text lone surrogate": '{"format": "memcli-export", "schema_version": 3, "memories": '
                                      '[{"memory": "\\ud800", "user_id": "a"}]}',
        "no user": {**export, "memories": [{"memory": "x"}]},
        "user a number": {**export, "memories": [{"memory": "x", "user_id": 5}]},
        "metadata a list": {**export, "memories": [{"memory": "x", "user_id": "a", "metadata": [1]}]},
        "importance 7": {**export, "memories": [{"memory": "x", "user_id": "a", "importance": 7}]},
        "importance a string": {**export, "memories": [{"memory": "x", "user_id": "a", "importance": "high"}]},
        "access count negative": {**export, "memories": [{"memory": "x", "user_id": "a", "access_count": -1}]},
        "reinforced a float": {**export, "memories": [{"memory": "x", "user_id": "a", "reinforced": 1.5}]},
        "created_at not a date": {**export, "memories": [{"memory": "x", "user_id": "a", "created_at": "soon"}]},
        "created_at year 10000": {**export, "memories": [{"memory": "x", "user_id": "a",
                                                          "created_at": "9999-12-31T23:59:59-14:00"}]},
        "valid_to a number": {**export, "memories": [{"memory": "x", "user_id": "a", "valid_to": 12}]},
        "embedding not base64": {**export, "memories": [{"memory": "x", "user_id": "a", "embedding": "***"}]},
        "embedding a number": {**export, "memories": [{"memory": "x", "user_id": "a", "embedding": 5}]},
        "sessions not a list": {**export, "memories": [], "sessions": "s"},
        "session id a number": {**export, "memories": [], "sessions": [{"id": 5, "user_id": "a"}]},
        "message content missing": {**export, "memories": [], "messages": [{"session_id": "s", "user_id": "a",
                                                                          "role": "user"}]},
        "message id a list": {**export, "memories": [], "messages": [{"session_id": "s", "user_id": "a",
                                                                    "role": "user", "content": "x", "id": [1]}]},
        "message metadata a number": {**export, "memories": [], "messages": [
            {"session_id": "s", "user_id": "a", "role": "user", "content": "x", "metadata": 5}]},
        "message created_at garbage": {**export, "memories": [], "messages": [
            {"session_id": "s", "user_id": "a", "role": "user", "content": "x", "created_at": "x"}]},
        "mem0 item without memory": {"results": [{"text": "x"}]},
        "mem0 user a number": [{"memory": "x", "user_id": 5}],
        "mem0 metadata a string": [{"memory": "x", "metadata": "m"}],
        "mem0 created_at garbage": [{"memory": "x", "created_at": "yesterday-ish"}],
        "a number": 42,
        "a string": "hello",
        "null": None,
        "not an export": {"hello": "world"},
        "truncated": '{"format": "memcli-export", "schema_version": 3, "memor',
        "not utf-8": b"\xff\xfe\x00garbage",
        "empty": "",
        "only spaces": "   \n",
    }
    paths = {}
    for n, (name, doc) in enumerate(docs.items()):
        path = folder / f"bad-{n}.json"
        if isinstance(doc, bytes):
            path.write_bytes(doc)
        elif isinstance(doc, str):
            path.write_text(doc)
        else:
            path.write_text(json.dumps(doc))
        paths[name] = path
    return paths


def bad_input_corpus(folder: Path) -> list[tuple[str, list[str], bytes | None]]:
    """(name, arguments, stdin) of inputs every one of which must be refused with one line."""
    big = "99999999999999999999"
    cases: list[tuple[str, list[str], bytes | None]] = []
    for command in ("show", "why", "history", "pin", "unpin"):
        for value in (big, "0", "-1", "abc", "1e3", "", "1.5"):
            cases.append((f"{command} {value!r}", [command, value], None))
    for value in (big, "-1", "abc"):
        cases.append((f"forget {value!r}", ["forget", value, "--yes"], None))
        cases.append((f"edit {value!r}", ["edit", value, "--text", "x"], None))
    for flag, value in (("--limit", big), ("--limit", "-5"), ("--limit", "x"), ("--threshold", "x"),
                        ("--as-of", "9999-12-31"), ("--as-of", "0001-01-01T00:00:00+14:00"), ("--as-of", "soon"),
                        ("--as-of", "99999999999d")):
        cases.append((f"search {flag} {value}", ["search", "x", flag, value], None))
    for flag, value in (("--limit", big), ("--since", "99999999999d"), ("--since", "9999999d"),
                        ("--since", "last tuesday"), ("--as-of", "9999-12-31")):
        cases.append((f"list {flag} {value}", ["list", flag, value], None))
    for at in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "not a date", "2026-13-45"):
        cases.append((f"add --at {at}", ["add", "x", "--at", at], None))
    for before in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "whenever", "99999999999d"):
        cases.append((f"forget --before {before}", ["forget", "--before", before, "--yes"], None))
    cases += [
        ("add empty", ["add", "   "], None),
        ("add stdin empty", ["add", "-"], b""),
        ("add stdin not utf-8", ["add", "-"], b"\xff\xfe"),
        ("add meta without =", ["add", "x", "--meta", "nokey"], None),
        ("add meta empty key", ["add", "x", "--meta", "=v"], None),
        ("add a password", ["add", "my password is hunter22"], None),
        ("forget nothing", ["forget"], None),
        ("forget without --yes", ["forget", "--user", "alice"], None),
        ("forget two things", ["forget", "1", "--session", "s", "--yes"], None),
        ("forget unknown session", ["forget", "--session", "nope", "--yes"], None),
        ("episodes --since garbage", ["episodes", "--since", "garbage"], None),
        ("prune --threshold 2", ["prune", "--threshold", "2"], None),
        ("prune --similarity 0", ["prune", "--consolidate", "--similarity", "0"], None),
        ("chat --session and --resume", ["chat", "--session", "a", "--resume"], b""),
        ("chat with a missing model", ["chat", "--model", str(folder / "missing.gguf")], b""),
        ("chat with a model that is not GGUF", ["chat", "--model", str(folder / "docs" / "bad-1.json")], b""),
        ("export into a file's folder", ["export", "-o", str(folder / "docs" / "bad-1.json" / "out.json")], None),
        ("import a folder", ["import", str(folder)], None),
        ("import a missing file", ["import", str(folder / "nope.json")], None),
        ("import /dev/zero", ["import", "/dev/zero"], None),
        ("import stdin garbage", ["import", "-"], b"\x00\x01garbage"),
        ("--db a text file", ["--db", str(folder / "not-a-db.txt"), "list"], None),
        ("--db a folder", ["--db", str(folder), "list"], None),
        ("--config missing", ["--config", str(folder / "nope.toml"), "list"], None),
        ("--config not toml", ["--config", str(folder / "docs" / "bad-1.json"), "list"], None),
        ("--config unknown key", ["--config", str(folder / "unknown.toml"), "list"], None),
        ("--config bad policy", ["--config", str(folder / "policy.toml"), "list"], None),
        ("user empty", ["list", "--user", ""], None),
        ("user a lone surrogate", ["list", "--user", "\udcff"], None),
    ]
    for name, path in bad_documents(folder / "docs").items():
        cases.append((f"import: {name}", ["import", str(path)], None))
    (folder / "not-a-db.txt").write_text("x")
    (folder / "unknown.toml").write_text('embedder = "fake"\nwhatever = 1\n')
    (folder / "policy.toml").write_text('embedder = "fake"\n[privacy]\nhealth = "maybe"\n')
    return cases


def store_fingerprint(env: dict[str, str]) -> str:
    out = memcli(["export", "--all-users"], env)
    doc = json.loads(out.stdout) if out.returncode == 0 else {}
    doc.pop("exported_at", None)
    return json.dumps(doc, sort_keys=True)


def bad_inputs(folder: Path, family: Family) -> None:
    env = make_home(folder / "home")
    memcli(["add", "I live in Busan"], env)
    memcli(["add", "I keep bees"], env)
    before = store_fingerprint(env)
    for name, args, stdin in bad_input_corpus(folder / "files"):
        result = memcli(args, env, stdin=stdin if stdin is not None else b"")
        err = result.stderr.decode("utf-8", "replace")
        one_line = len([line for line in err.strip().splitlines() if line.startswith("error:")]) == 1
        family.check(TRACEBACK not in err and result.returncode in (1, 2) and (result.returncode == 2 or one_line),
                     f"{name}: exit {result.returncode}: {err.strip()[:200]}")
    family.check(store_fingerprint(env) == before, "a bad input changed the store")


# --- kill -9 ------------------------------------------------------------------------------

WRITER = """
import sys
from memcli import Memory
with Memory() as m:
    for n in range(int(sys.argv[1])):
        [r] = m.add(f"kill trial memory number {n} about {sys.argv[2]}")
        print(r.id, flush=True)
"""


def kill_trial(folder: Path, rng: random.Random, what: str = "add") -> tuple[bool, str]:
    """A writer killed at a random moment; every commit it reported must be there."""
    env = make_home(folder)
    if what == "import":
        doc = {"format": "memcli-export", "schema_version": 3,
               "memories": [{"memory": f"imported memory {n}", "user_id": "alice"} for n in range(300)]}
        (folder / "doc.json").write_text(json.dumps(doc))
        proc = subprocess.Popen([sys.executable, "-m", "memcli", "import", str(folder / "doc.json")], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    elif what == "chat":
        lines = b"".join(f"I keep bees number {n} in my garden\n".encode() for n in range(40))
        proc = subprocess.Popen([sys.executable, "-m", "memcli", "chat"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert proc.stdin is not None
        proc.stdin.write(lines)
        proc.stdin.close()
        proc.stdin = None  # written and closed: nothing for communicate() to flush
    else:
        proc = subprocess.Popen([sys.executable, "-c", WRITER, "400", "bees"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.4, 2.5))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate()
    reported = [int(x) for x in out.decode().split() if x.isdigit()] if what == "add" else []
    after = memcli(["list", "--limit", "0", "--json"], env)
    if after.returncode != 0:
        return False, f"{what} killed: the store does not open: {after.stderr.decode().strip()[-200:]}"
    listed = json.loads(after.stdout)["results"]
    ids = {r["id"] for r in listed}
    if what == "import":
        imported = [r for r in listed if r["memory"].startswith("imported memory")]
        return len(imported) in (0, 300), f"import killed: {len(imported)} of 300 memories"
    if what == "chat":
        found = memcli(["search", "bees", "--json"], env)
        return found.returncode == 0, "chat killed: the store does not answer"
    missing = [i for i in reported if i not in ids]
    searched = memcli(["search", "kill trial memory", "--json"], env)
    return not missing and searched.returncode == 0, f"add killed: {len(missing)} reported commits missing"


# --- indexes ---------------------------------------------------------------------------------


def index_trials(folder: Path, family: Family) -> None:
    from memcli import Config, Memory

    for damage in ("swapped", "truncated", "garbage", "missing", "manifest", "folder is a file", "stale temp"):
        home = folder / damage.replace(" ", "-")
        env = make_home(home)
        config = Config.load(home / "config.toml")
        config.db = str(home / "memcli.db")
        with Memory(config=config) as m:
            mine = [m.add(f"alice memory {n} about tea", user_id="alice")[0].id for n in range(30)]
            [m.add(f"bob memory {n} about coffee", user_id="bob") for n in range(30)]
            m.search("tea", user_id="alice")
            m.search("coffee", user_id="bob")
        folder_ = home / "memcli.db.index"
        from memcli.base.files import user_key

        a, b = user_key("alice"), user_key("bob")
        if damage == "swapped":
            for suffix in (".hnsw", ".json"):
                (folder_ / f"{a}{suffix}").write_bytes((folder_ / f"{b}{suffix}").read_bytes())
        elif damage == "truncated":
            data = (folder_ / f"{a}.hnsw").read_bytes()
            (folder_ / f"{a}.hnsw").write_bytes(data[: len(data) // 3])
        elif damage == "garbage":
            (folder_ / f"{a}.hnsw").write_bytes(os.urandom(5000))
        elif damage == "missing":
            (folder_ / f"{a}.hnsw").unlink()
        elif damage == "manifest":
            (folder_ / f"{a}.json").write_text("{not json")
        elif damage == "folder is a file":
            for p in folder_.iterdir():
                p.unlink()
            folder_.rmdir()
            folder_.write_text("x")
        else:
            (folder_ / f".{a}.hnsw.999999.tmp").write_bytes(b"vector residue" * 100)
        result = memcli(["search", "alice memory about tea", "--limit", "30", "--json"], env)
        if damage == "folder is a file":
            err = result.stderr.decode()
            family.check(result.returncode == 1 and TRACEBACK not in err and "folder" in err,
                         f"{damage}: {err.strip()[:120]}")
            continue
        hits = {r["id"] for r in json.loads(result.stdout)["results"]} if result.returncode == 0 else set()
        leftovers = list(folder_.glob(".*.tmp"))
        family.check(hits == set(mine) and not leftovers,
                     f"{damage}: {len(set(mine) - hits)} of alice's memories not found, {len(leftovers)} temp files")


# --- concurrency -------------------------------------------------------------------------------

ADDER = """
import sys
from memcli import Memory
with Memory() as m:
    for n in range(int(sys.argv[2])):
        m.add(f"writer {sys.argv[1]} memory {n}")
        if n % 10 == 0:
            m.search(f"writer {sys.argv[1]}")
print("done")
"""


def writers_trial(folder: Path, writers: int, each: int = 60) -> tuple[bool, str]:
    env = make_home(folder)
    procs = [subprocess.Popen([sys.executable, "-c", ADDER, str(w), str(each)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for w in range(writers)]
    searcher = subprocess.Popen([sys.executable, "-m", "memcli", "search", "writer memory"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    errors = []
    for p in procs + [searcher]:
        _, err = p.communicate(timeout=600)
        if p.returncode != 0:
            errors.append(err.decode()[-200:])
    listed = json.loads(memcli(["list", "--limit", "0", "--json"], env).stdout)["results"]
    ok = not errors and len(listed) == writers * each
    return ok, f"{writers} writers: {len(listed)} of {writers * each} stored; {errors[:1]}"


def first_use_trial(folder: Path, processes: int = 3) -> tuple[bool, str]:
    env = make_home(folder)
    procs = [subprocess.Popen([sys.executable, "-m", "memcli", "add", f"first use {n}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for n in range(processes)]
    errors = []
    for p in procs:
        _, err = p.communicate(timeout=300)
        if p.returncode != 0:
            errors.append(err.decode().strip()[-200:])
    listed = json.loads(memcli(["list", "--json"], env).stdout)["results"] if not errors else []
    return not errors and len(listed) == processes, f"first use: {errors[:1]} ({len(listed)} stored)"


def concurrent_import_trial(folder: Path) -> tuple[bool, str]:
    env = make_home(folder)
    doc = {"format": "memcli-export", "schema_version": 3,
           "memories": [{"memory": f"shared document memory {n}", "user_id": "alice"} for n in range(200)]}
    (folder / "doc.json").write_text(json.dumps(doc))
    procs = [subprocess.Popen([sys.executable, "-m", "memcli", "import", str(folder / "doc.json")], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    codes = [p.wait(timeout=300) for p in procs]
    listed = json.loads(memcli(["list", "--limit", "0", "--json"], env).stdout)["results"]
    return codes == [0, 0] and len(listed) == 200, f"two imports: exits {codes}, {len(listed)} memories (want 200)"


# --- erasure and file modes ----------------------------------------------------------------------


def erasure_trial(folder: Path) -> tuple[bool, str]:
    env = make_home(folder)
    secret = "zanzibar-quokka-7731"
    memcli(["add", f"my locker code is {secret}", "-u", "victim"], env)
    memcli(["chat", "-u", "victim"], env, stdin=f"I keep {secret} in my notes\n".encode())
    memcli(["search", "locker", "-u", "victim"], env)
    memcli(["forget", "--user", "victim", "--yes"], env)
    found = [p.name for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    return not found, f"the erased user's words survive in {found}"


def modes_trial(folder: Path) -> tuple[bool, str]:
    old = os.umask(0)
    try:
        env = make_home(folder)
        memcli(["add", "I live in Busan"], env)
        memcli(["search", "where do I live"], env)
        memcli(["export", "-o", str(folder / "out" / "backup.json")], env)
    finally:
        os.umask(old)
    wrong = []
    for p in folder.rglob("*"):
        mode = stat.S_IMODE(p.stat().st_mode)
        if p.name == "config.toml":
            continue  # written by this benchmark, not by memcli
        if (p.is_dir() and mode != 0o700) or (p.is_file() and mode != 0o600):
            wrong.append(f"{p.name} {oct(mode)}")
    return not wrong, f"modes: {wrong[:3]}"


def run(families: dict[str, Family], args: argparse.Namespace, tmp: Path) -> None:
    rng = random.Random(7)
    bad_inputs(tmp / "bad", families["bad inputs"])
    for n in range(args.kills):
        what = ("add", "import", "chat")[n % 3] if not args.quick else "add"
        ok, why = kill_trial(tmp / f"kill-{n}", rng, what)
        families[f"kill -9 ({what})"].check(ok, why)
    index_trials(tmp / "index", families["indexes"])
    for writers in (2, 3):
        ok, why = writers_trial(tmp / f"writers-{writers}", writers, 30 if args.quick else 100)
        families["writers"].check(ok, why)
    for n in range(args.first_use):
        ok, why = first_use_trial(tmp / f"first-{n}")
        families["first use"].check(ok, why)
    for n in range(1 if args.quick else 3):
        ok, why = concurrent_import_trial(tmp / f"import-{n}")
        families["concurrent imports"].check(ok, why)
    ok, why = erasure_trial(tmp / "erasure")
    families["erasure"].check(ok, why)
    ok, why = modes_trial(tmp / "modes")
    families["file modes"].check(ok, why)


def main() -> None:
    from machine import machine, table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=102)
    parser.add_argument("--first-use", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="the subset the test suite runs")
    args = parser.parse_args()
    if args.quick:
        args.kills, args.first_use = 10, 3
    families: dict[str, Family] = {}

    class Families(dict):  # type: ignore[type-arg]
        def __missing__(self, key: str) -> Family:
            families[key] = self[key] = Family(key)
            return self[key]

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="memcli-reliability-") as tmp:
        run(Families(), args, Path(tmp))
    print(f"machine: {machine()}")
    print(table(["family", "trials", "went wrong"],
                [[f.name, str(f.trials), str(len(f.failures))] for f in families.values()]))
    for f in families.values():
        for why in f.failures[:5]:
            print(f"  {f.name}: {why}")
    print(f"\n{sum(f.trials for f in families.values())} trials in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
