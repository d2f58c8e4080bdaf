"""Web latency under load: p50/p95 of the dashboard, an act page, search and the verdict POST
with 20 concurrent users against a real `python -m tracker serve` process on 127.0.0.1.

The database holds 5,000 acts and 500,000 units, made by importing a few real acts from
tests/fixtures and then duplicating their rows with direct inserts (acts, units and the
full-text index), which takes seconds instead of parsing 5,000 files. One campaign assigns
--assigned acts to 20 agencies; each simulated user is one agency's staff member who
loops: dashboard, own act page, search, verdict on a new clause of its own act.
Searches go through 40 phrases, each user starting elsewhere in the list, so nearly every
search is the first of its kind for its agency and is computed, not served from a cache; they
run in each agency's own index (tracker.search_index), brought up to date before the run as the
server's job threads would do it after the assignments.
Every verdict must be stored (and is a real change: the run's stamp is in its wording):
the verdicts in the database are checked at the end.

By default the users click back to back (no think time): a closed loop that keeps the server
saturated, so latency there is mostly queueing, about users x CPU per request / cores. The
CPU line gives the server's CPU per request over the measured part only (server processes
and this client share the machine's cores); --think T adds a pause before each request, as
people reading a page do: between 0.5 T and 1.5 T, so that users do not click in step.
The machine's speed varies from run to run (up to 1.5x here on a shared 2-core VM): the
"machine speed" line times a fixed Python loop before and after; compare runs by it and by
their CPU per request, and run more than once.

    .venv/bin/python bench/bench_web.py                    # build (or reuse) the database and run
    .venv/bin/python bench/bench_web.py --rounds 50 --db /tmp/norma-bench.db --rebuild
    .venv/bin/python bench/bench_web.py --serve-args "--workers 3 --threads 2" --think 0.5

Traffic goes only to 127.0.0.1, bounded by --rounds per user and a --timeout per request.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import multiprocessing
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.db import open_db, write_transaction  # noqa: E402
from tracker.search_index import refresh_stale  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
SOURCES = [
    "kz_minjust_2020_107_pravila_vypiska_reestr_zaloga_rus.md",
    "ru_pravitelstvo_2019_146_pravila_goskontrolya.txt",
    "kz_government_2023_0630_tipovye_pravila_socpomoschi_mio_rus.md",
    "kz_minjust_2023_1010_pravila_aktualizaciya_naimenovaniya_yul_rus.md",
    "kg_zakon_o_dorozhnom_dvizhenii.txt",
    "eaeu_eek_2016_161_poryadok_vzaimnogo_predostavleniya.html",
]
PASSWORD = "bench-password-1"
RUN = time.strftime("%Y%m%d-%H%M%S")  # in every new wording: each run's verdicts are real changes, never repeats
# What reviewers look for, most of it common in these acts (the costly case: thousands of
# matches to rank). Each user starts at another place in the list, so at any moment users search
# different words, and with 25 rounds nearly every search is a first one for its user's
# agency (the results cache cannot help): the cost measured is that of real searching.
SEARCH_WORDS = [
    "заявление", "срок рассмотрения", "государственной услуги", "документы", "ещё", "справка",
    "отказ в оказании", "услугодатель", "услугополучатель", "электронный документ", "портал",
    "местный исполнительный орган", "выписка", "регистрация", "государственная пошлина",
    "рабочих дней", "календарных дней", "уведомление", "проверка", "жалоба", "доверенность",
    "нотариально засвидетельствованная копия", "Государственная корпорация", "залог", "реестр",
    "уполномоченный орган", "согласование", "сертификат", "юридического лица", "наименование",
    "лицензия", "разрешение", "плата", "представительство", "филиал", "подпись", "адрес",
    "индивидуальный предприниматель", "поверка средств измерений", "результат оказания",
]


def build(db_path: Path, n_acts: int, n_units: int, n_agencies: int, n_assigned: int) -> None:
    """Import the real sources once, then duplicate them up to n_acts acts / ~n_units units."""
    from tracker.campaigns import assign_acts, create_campaign
    from tracker.importer import import_paths
    from tracker.users import create_agency, create_user

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = open_db(db_path)
    t0 = time.perf_counter()
    report = import_paths(db, [FIXTURES / s for s in SOURCES])
    seeds = [e.act_id for e in report.imported]
    units = {a: db.execute("SELECT * FROM units WHERE act_id = ? ORDER BY seq", [a]).fetchall() for a in seeds}
    fts = {a: db.execute("SELECT uid, lemmas FROM units_fts WHERE act_id = ?", [a]).fetchall() for a in seeds}
    acts = {a: db.execute("SELECT * FROM acts WHERE id = ?", [a]).fetchone() for a in seeds}
    cols = [d[1] for d in db.execute("PRAGMA table_info(acts)").fetchall()]
    file_row = db.execute("SELECT * FROM files LIMIT 1").fetchone()
    print(f"seed: {len(seeds)} real acts, {sum(len(u) for u in units.values())} units "
          f"({time.perf_counter() - t0:.1f} s)")

    # choose a source for each copy so that the running total follows n_units / n_acts per act
    total = sum(len(units[a]) for a in seeds)
    plan: list[int] = []
    for i in range(len(seeds), n_acts):
        target = n_units * (i + 1) / n_acts
        best = min(seeds, key=lambda a: abs(total + len(units[a]) - target))
        plan.append(best)
        total += len(units[best])
    t0 = time.perf_counter()
    id_col, key_col, ver_col = cols.index("id"), cols.index("act_key"), cols.index("version_of")
    sha_col = cols.index("file_sha256")
    batch = 250
    for start in range(0, len(plan), batch):
        with write_transaction(db):
            for n, src in enumerate(plan[start:start + batch], start):
                sha = hashlib.sha256(f"bench-{n}".encode()).hexdigest()
                db.execute("INSERT INTO files VALUES (?,?,?,?,?,?)",
                           [sha, f"copy-{n}-{file_row[1]}", *file_row[2:]])
                row = list(acts[src])
                row[id_col], row[key_col], row[ver_col], row[sha_col] = None, f"bench:{n}", None, sha
                act_id = db.execute(f"INSERT INTO acts VALUES ({','.join('?' * len(row))})", row).lastrowid
                db.conn.executemany(f"INSERT INTO units VALUES ({','.join('?' * len(units[src][0]))})",
                                    [(act_id, *u[1:]) for u in units[src]])
                db.conn.executemany("INSERT INTO units_fts(act_id, uid, lemmas, act) VALUES (?,?,?,?)",
                                    [(act_id, uid, lem, f"a{act_id}") for uid, lem in fts[src]])
    print(f"copies: {len(plan)} acts in {time.perf_counter() - t0:.1f} s")

    agencies = [create_agency(db, f"Ведомство {i + 1:02d}") for i in range(n_agencies)]
    lawyer = create_user(db, "lawyer@bench.test", PASSWORD, "lawyer", name="Юрист")
    for i, ag in enumerate(agencies):
        create_user(db, f"agency{i + 1:02d}@bench.test", PASSWORD, "agency", agency_id=ag, name=f"Сотрудник {i + 1}")
    cid = create_campaign(db, "Нагрузочная кампания", "01.03.2025", created_by=lawyer)
    all_ids = [r[0] for r in db.execute("SELECT id FROM acts ORDER BY id").fetchall()]
    step = max(1, len(all_ids) // max(1, n_assigned))
    chosen = all_ids[::step][:n_assigned]
    for i, ag in enumerate(agencies):
        assign_acts(db, cid, ag, chosen[i::n_agencies], user=None)
    n = db.execute("SELECT COUNT(*) FROM acts").fetchone()[0]
    u = db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    print(f"database: {n} acts, {u} units, {len(chosen)} assigned to {n_agencies} agencies (campaign {cid})")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.close()


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by the server process and its workers (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def machine_speed() -> float:
    """Milliseconds of one fixed pure-Python loop, the best of three: on a shared VM the same
    code runs up to 1.5x slower from one hour to the next, which this line shows beside the figures."""
    best = float("inf")
    for _ in range(3):
        t0, total = time.perf_counter(), 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_path: Path, serve_args: list[str]) -> tuple[subprocess.Popen, str, str]:
    port = free_port()
    env = dict(os.environ, NORMA_SECRET_KEY="bench-secret", NORMA_INSTANCE=str(db_path.parent))
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "serve", "--port", str(port), "--db", str(db_path),
                             *serve_args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
                            stderr=(db_path.parent / "serve.log").open("w"))  # tracebacks of any 500
    banner = proc.stdout.readline().strip()
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            Client(base, 2).request("GET", "/login")
            return proc, base, banner
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("the server did not start")


@dataclass
class Reply:
    status_code: int
    text: str
    method: str
    url: str


class Client:
    """One user's browser: a keep-alive connection and its cookies, on the standard library.

    Hand-written instead of requests: with 20 users back to back the client shares the two cores
    with the server, and requests' per-call machinery (~1-2 ms of CPU) is a good part of what
    the measured latency would then include. Redirects are not followed (the bench checks 303).
    """

    def __init__(self, base: str, timeout: float):
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, params: dict | None = None, data: dict | None = None) -> Reply:
        if params:
            path += "?" + urlencode(params)
        body = None if data is None else urlencode(data).encode()
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a kept connection the server closed meanwhile: once more on a new one
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if resp.will_close:
            self.conn.close()
            self.conn = None
        return Reply(resp.status, payload.decode("utf-8", "replace"), method, path)


class UserRun(threading.Thread):
    """One agency staff member: logs in, then `rounds` times: dashboard, act, search, verdict."""

    def __init__(self, base: str, email: str, rounds: int, timeout: float, barrier: threading.Barrier,
                 search: bool = True, think: float = 0.0):
        super().__init__(daemon=True)
        self.search, self.think = search, think
        self.rng = random.Random(email)  # think times differ between users, the same in every run
        start = int(re.sub(r"\D", "", email) or 0) * 7  # user k begins 7k words further on
        self.words = [SEARCH_WORDS[(start + j) % len(SEARCH_WORDS)] for j in range(len(SEARCH_WORDS))]
        self.base, self.email, self.rounds, self.timeout, self.barrier = base, email, rounds, timeout, barrier
        self.times: dict[str, list[float]] = {"dashboard": [], "act page": [], "search": [], "verdict POST": []}
        self.stored = 0
        self.errors: list[str] = []

    def timed(self, kind: str, method: str, url: str, **kw) -> Reply:
        if self.think:  # a person reads the page before the next click, some faster than others
            time.sleep(self.rng.uniform(0.5, 1.5) * self.think)
        t0 = time.perf_counter()
        resp = self.s.request(method, url, **kw)
        self.times[kind].append(time.perf_counter() - t0)
        return resp

    def run(self) -> None:
        try:
            self.s = Client(self.base, self.timeout)
            page = self.s.request("GET", "/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            self.s.request("POST", "/login", data={"email": self.email, "password": PASSWORD, "csrf_token": token})
            home = self.s.request("GET", "/").text
            cid, act_id = map(int, re.search(r'href="/campaigns/(\d+)/acts/(\d+)"', home).groups())
            review = self.s.request("GET", f"/campaigns/{cid}/acts/{act_id}").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', review).group(1)
            uids = re.findall(r'class="clause[^"]*" id="u-([^"]+)"', review)
        except Exception as exc:  # noqa: BLE001 - a bench reports, it does not crash
            self.errors.append(f"setup: {exc}")
            self.barrier.abort()
            return
        self.barrier.wait()
        for i in range(self.rounds):
            try:
                checks = [
                    (self.timed("dashboard", "GET", "/"), 200),
                    (self.timed("act page", "GET", f"/acts/{act_id}"), 200),
                ]
                if self.search:
                    checks.append((self.timed("search", "GET", "/search",
                                              params={"q": self.words[i % len(self.words)]}), 200))
                uid = uids[i % len(uids)]
                resp = self.timed("verdict POST", "POST", f"/campaigns/{cid}/acts/{act_id}/units/{uid}/verdict",
                                  data={"verdict": "amend" if i % 2 else "keep", "reason": f"раунд {i} {RUN}",
                                        "new_wording": f"редакция {self.email} {i} {RUN}", "csrf_token": token})
                checks.append((resp, 303))
                self.stored += resp.status_code == 303
                for r, want in checks:
                    if r.status_code != want:
                        self.errors.append(f"{r.method} {r.url}: {r.status_code}")
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(str(exc))
        self.expected = [(cid, act_id, uids[i % len(uids)], "amend" if i % 2 else "keep",
                          f"редакция {self.email} {i} {RUN}" if i % 2 else "") for i in range(self.rounds)]


@dataclass
class UserReport:
    """What a user's thread measured, sent back from its client process."""
    times: dict[str, list[float]]
    stored: int
    errors: list[str]
    expected: list[tuple]


def client_process(base: str, emails: list[str], args: argparse.Namespace, barrier, results) -> None:
    """Some of the users, as threads of one process: ([UserReport], this process's CPU seconds).

    Users are spread over a few processes because in one process they would share one
    interpreter lock: a reply that has arrived would wait for other users' threads to finish
    parsing theirs, and the client's own queueing would be counted as the server's latency.
    """
    runs = [UserRun(base, e, args.rounds, args.timeout, barrier, search=not args.no_search, think=args.think)
            for e in emails]
    for r in runs:
        r.start()
    for r in runs:
        r.join()
    me = resource.getrusage(resource.RUSAGE_SELF)
    results.put(([UserReport(r.times, r.stored, r.errors, getattr(r, "expected", [])) for r in runs],
                 me.ru_utime + me.ru_stime))


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/norma-bench-web/norma.db"))
    ap.add_argument("--rebuild", action="store_true", help="build the database even if it exists")
    ap.add_argument("--acts", type=int, default=5000)
    ap.add_argument("--units", type=int, default=500_000)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--assigned", type=int, default=1000, help="acts assigned in the campaign")
    ap.add_argument("--rounds", type=int, default=25, help="rounds of 4 requests per user")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--no-search", action="store_true", help="leave search out (to see the other pages alone)")
    ap.add_argument("--think", type=float, default=0.0,  # each pause uniform in [0.5, 1.5] x this
                    help="seconds each user waits before each request (default 0: back to back, the worst case)")
    ap.add_argument("--client-processes", type=int, default=4,
                    help="processes the users are spread over (each with its own interpreter lock)")
    ap.add_argument("--serve-args", default="", help="extra arguments for `tracker serve`, e.g. '--workers 3 --threads 4'")
    args = ap.parse_args()

    if args.rebuild or not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.acts, args.units, args.users, args.assigned)
    db = open_db(args.db)  # a database from older code is migrated here, not while the server starts
    # each agency's own search index, as the server's job threads would build it after the assignments
    print(f"agency search indexes rebuilt before the run: {len(refresh_stale(db))}")
    db.close()
    # A server that has run for a while has its database in the OS's file cache; right after a
    # restart, or after other work pushed it out, the first seconds read from disk (measured:
    # search p95 143 ms instead of ~70 in the first run after dropping the caches). The file
    # is read once here so that every run measures the steady state.
    t0, size = time.perf_counter(), 0
    with open(args.db, "rb") as fh:
        while chunk := fh.read(1 << 20):
            size += len(chunk)
    print(f"database file read into the OS cache: {size / 1e6:.0f} MB in {time.perf_counter() - t0:.1f} s")
    load_before, speed_before = os.getloadavg(), machine_speed()
    proc, base, banner = start_server(args.db, args.serve_args.split())
    try:
        # the users, and this thread that reads the CPU clock; shared by the client processes
        barrier = multiprocessing.Barrier(args.users + 1)
        results: multiprocessing.Queue = multiprocessing.Queue()
        emails = [f"agency{i + 1:02d}@bench.test" for i in range(args.users)]
        n_procs = max(1, min(args.client_processes, args.users))
        clients = [multiprocessing.Process(target=client_process, daemon=True, args=(
            base, emails[k::n_procs], args, barrier, results)) for k in range(n_procs)]
        for c in clients:
            c.start()
        try:
            barrier.wait()  # every user has logged in and found its act: the measured part starts
        except threading.BrokenBarrierError:
            pass  # a user failed its setup; its error is reported below
        t0, cpu0 = time.perf_counter(), server_cpu_seconds(proc.pid)
        reports = [results.get(timeout=args.timeout * args.rounds * 4 + 60) for _ in clients]
        wall, cpu_run = time.perf_counter() - t0, server_cpu_seconds(proc.pid) - cpu0
        for c in clients:
            c.join()
    finally:
        proc.terminate()
        proc.wait(10)
    runs = [r for report, _cpu in reports for r in report]
    # CPU seconds: every child (the server's processes and the client processes, reaped) less
    # what the client processes reported, and the client processes' own
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = sum(cpu for _report, cpu in reports)
    server_cpu = kids.ru_utime + kids.ru_stime - client_cpu

    print(f"\n{args.users} concurrent users x {args.rounds} rounds (think time {args.think} s) against"
          f" `python -m tracker serve {args.serve_args}`, {wall:.1f} s wall\n{banner}\n"
          f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)\n"
          f"machine speed (a fixed Python loop, less is faster): {speed_before:.0f} ms before,"
          f" {machine_speed():.0f} ms after")
    print(f"{'request':<14}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    kinds = runs[0].times.keys()
    for kind in kinds:
        values = [t for r in runs for t in r.times[kind]]
        if not values:
            continue
        print(f"{kind:<14}{len(values):>6}{pct(values, 50) * 1000:>10.1f}{pct(values, 95) * 1000:>10.1f}"
              f"{max(values, default=float('nan')) * 1000:>10.1f}")
    every = [t for r in runs for ts in r.times.values() for t in ts]
    print(f"{'all':<14}{len(every):>6}{pct(every, 50) * 1000:>10.1f}{pct(every, 95) * 1000:>10.1f}"
          f"{max(every) * 1000:>10.1f}   ({len(every) / wall:.0f} requests/s)")
    print(f"CPU: server {cpu_run:.1f} s while measured ({cpu_run / len(every) * 1000:.2f} ms per request;"
          f" {server_cpu:.1f} s with start-up and logins), client {client_cpu:.1f} s in all,"
          f" over {wall:.1f} s x {os.cpu_count()} cores")
    errors = [e for r in runs for e in r.errors]

    # every verdict stored: the last verdict per clause is in the table, and one audit entry per change
    db = open_db(args.db)
    posted = sum(r.stored for r in runs)
    last: dict[tuple, tuple] = {}
    for r in runs:
        for cid, act_id, uid, verdict, wording in r.expected:
            last[(cid, act_id, uid)] = (verdict, wording)
    wrong = 0
    for (cid, act_id, uid), (verdict, wording) in last.items():
        row = db.execute("SELECT verdict, new_wording FROM verdicts WHERE campaign_id=? AND act_id=? AND uid=?",
                         [cid, act_id, uid]).fetchone()
        wrong += row is None or row[0] != verdict or row[1] != wording
    audited = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'verdict'").fetchone()[0]
    db.close()
    print(f"verdict POSTs answered 303: {posted}; clauses checked: {len(last)}, wrong or missing: {wrong}; "
          f"verdict audit entries in the database: {audited}")
    if errors:
        print(f"{len(errors)} errors, first: {errors[:3]}")
    print(f"statistics: median of all requests {statistics.median(every) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
