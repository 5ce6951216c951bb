"""`handbook backup` of a SQLite database that is being written to: the copy is whole and consistent."""
from __future__ import annotations

import sqlite3
import threading
import time

from click.testing import CliRunner

from bot.cli import main


def test_backup_while_a_writer_commits_is_a_consistent_prefix(tmp_path, monkeypatch):
    source = tmp_path / "handbook.db"
    db = sqlite3.connect(source, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")  # as the bot opens it (models/db.py)
    db.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO writes (id, payload) VALUES (?, randomblob(4000))", ((i,) for i in range(1, 5001)))
    db.execute("COMMIT")  # ~20 MB, so the backup takes a while
    db.close()

    written = [5000]
    stop = threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(source, isolation_level=None, timeout=15)
        conn.execute("PRAGMA busy_timeout=15000")
        while not stop.is_set():
            n = written[0] + 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO writes (id, payload) VALUES (?, randomblob(4000))", (n,))
            # A second statement in the same transaction: a torn copy would show one without the other.
            conn.execute("UPDATE writes SET payload = randomblob(10) WHERE id = ?", (n - 5000,))
            conn.execute("COMMIT")
            written[0] = n
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 5200:
            time.sleep(0.001)
        before = written[0]
        monkeypatch.setenv("HANDBOOK_CONFIG", str(tmp_path / "absent.toml"))
        monkeypatch.setenv("HANDBOOK_DATABASE_URL", f"sqlite+aiosqlite:///{source}")
        target = tmp_path / "backup.db"
        result = CliRunner().invoke(main, ["backup", str(target)], catch_exceptions=False)
        after = written[0]
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output

    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ids = [row[0] for row in copy.execute("SELECT id FROM writes ORDER BY id")]
    last = ids[-1]
    assert ids == list(range(1, last + 1)), "the copy is not a prefix of the writes"
    assert before <= last <= after, (before, last, after)
    # Each write's two statements came together: the rows updated are exactly those of the writes copied.
    shrunk = copy.execute("SELECT count(*) FROM writes WHERE length(payload) = 10").fetchone()[0]
    assert shrunk == last - 5000
    copy.close()
    print(f"\nbackup while writing: {before - 5000} writes before it started, {last - 5000} in the copy, "
          f"{after - 5000} when it returned")
