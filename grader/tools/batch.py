#!/usr/bin/env python3
"""batch.py - grade a whole class: one tl-grade run per student, one gradebook.

    batch.py SUBMISSIONS_DIR [--out DIR] [--jobs N] [--grade-jobs N] [--seed N]
             [--lab NN]... [--stages LIST] [--timeout SECONDS] [--only ID]...

Every entry of SUBMISSIONS_DIR is one student, whose id is the entry's name:
  a directory      a checkout (e.g. `git clone`); its .git is not looked at
  NAME.zip, NAME.tar.gz, NAME.tgz, NAME.tar
                   an archive of a checkout; the id is NAME. If everything in
                   it sits in one top-level directory, that directory is the
                   checkout (__MACOSX/ is ignored)
Names starting with '.' are skipped. Any other file gets a row with an error.

Archives are not trusted. They are unpacked here, member by member, into a
private temporary directory (removed after grading; nothing is ever written
outside it), and refused whole, as an error in that student's row, for: an
absolute path or a `..` component, a symbolic or hard link, a device or
FIFO, more than 5000 members, more than 50 MB of content (counted while
copying, not read from the headers: zip bombs stop there), or a corrupt
archive. A checkout with neither labs/ nor an NN-slug/ of the kit at its top
(tl-grade takes both layouts) is an error row too.

Each checkout is graded by `tl-grade --submission` into OUT/students/ID/
(results.json, junit.xml, grade.log with tl-grade's output), up to --jobs
gradings at once, each with --grade-jobs tests at once and a wall-clock
limit of --timeout seconds (then the grading's processes are killed and the
row gets an error). The seed of a student is derived from the batch seed and
the id (sha256), so regrading an unchanged submission replays the same
stress-test schedules.

OUT/gradebook.csv   student, one column per lab, total, max, seconds, seed,
                    error; one row per student, sorted by id
OUT/batch.json      the machine (kit commit, kernel, CPUs, gcc), the batch
                    (seed, command line, start, wall time, throughput) and
                    one record per student

--only ID grades only that student (repeatable): with the same --seed and a
fresh --out, a regrade of one submission.

Exit status 0 when the batch ran (whatever the scores and errors of the
rows), 2 on a usage error, 130 when interrupted (Ctrl-C kills the gradings
in progress; the unfinished rows say so). Python 3 standard library only.
"""
import argparse
import concurrent.futures
import csv
import datetime
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
import zlib

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TL_GRADE = os.path.join(ROOT, "grader", "build", "tl-grade")

MAX_MEMBERS = 5000
MAX_BYTES = 50 * 1024 * 1024
CHUNK = 1 << 16
ARCHIVE_EXTS = (".tar.gz", ".tgz", ".tar", ".zip")   # longest first: .tar.gz before .tar
NOT_SUBMISSION = "not a directory or a .zip/.tar.gz/.tgz/.tar archive"
NO_LABS = "no labs/ directory: is this a threadlab checkout?"
IGNORED_TOP = {"__MACOSX", ".DS_Store"}
STAGING = re.compile(r"(?:^|[\s=:]|-[A-Za-z])(/tmp/tl-grade-[A-Za-z0-9]{6})(?=/|$|\s)")


class Refused(Exception):
    """An archive we will not unpack; the message goes into the student's row."""


# ---------------------------------------------------------------------------
# The kit

def kit_labs():
    """Lab slugs of the kit: reference/NN-*/lab.conf (labs/ if there is no reference/)."""
    for top in ("reference", "labs"):
        d = os.path.join(ROOT, top)
        if not os.path.isdir(d):
            continue
        slugs = sorted(s for s in os.listdir(d) if re.match(r"^\d\d-", s) and
                       os.path.isfile(os.path.join(d, s, "lab.conf")))
        if slugs:
            return slugs
    return []


def select_labs(all_labs, wanted):
    if not wanted:
        return list(all_labs)
    out = []
    for w in wanted:
        m = [l for l in all_labs if l == w or l.split("-", 1)[0] == w]
        if not m:
            raise SystemExit("batch: no lab %r in the kit (have: %s)" % (w, " ".join(all_labs)))
        out += [l for l in m if l not in out]
    return out


def command_output(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None


def machine_info():
    u = os.uname()
    return {
        "kit_commit": command_output(["git", "-C", ROOT, "rev-parse", "HEAD"])
        or command_output(["cat", os.path.join(ROOT, ".kit-commit")]) or "unknown",
        "kernel": command_output(["uname", "-sr"]) or "%s %s" % (u.sysname, u.release),
        "cpus": os.cpu_count(),
        "gcc": (command_output(["gcc", "--version"]) or "unknown").split("\n")[0],
    }


# ---------------------------------------------------------------------------
# Submissions

def student_seed(batch_seed, sid):
    digest = hashlib.sha256(("%d:%s" % (batch_seed, sid)).encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") & 0xFFFFFFFF


def archive_kind(name):
    low = name.lower()
    for ext in ARCHIVE_EXTS:
        if low.endswith(ext) and len(name) > len(ext):
            return ext, name[:-len(ext)]
    return None, name


def scan(subdir, skip=()):
    """[(id, path, kind, error)] for the entries of SUBMISSIONS_DIR, sorted by id;
    kind is "dir", an archive extension, or None (error set). Paths in skip
    (the output directory, if it is inside) are not submissions."""
    entries = []
    for name in sorted(os.listdir(subdir)):
        path = os.path.join(subdir, name)
        if name.startswith(".") or os.path.realpath(path) in skip:
            continue
        if os.path.isdir(path):
            entries.append([name, path, "dir", None])
            continue
        ext, sid = archive_kind(name)
        if ext and os.path.isfile(path):
            entries.append([sid, path, ext, None])
        else:
            entries.append([name, path, None, NOT_SUBMISSION])
    # alice/ next to alice.zip: which one is alice's? Grade neither.
    by_id = {}
    for e in entries:
        by_id.setdefault(e[0], []).append(e)
    for sid, es in by_id.items():
        if len(es) > 1:
            names = ", ".join(os.path.basename(e[1]) for e in es)
            for e in es:
                e[0], e[2], e[3] = os.path.basename(e[1]), None, \
                    "two entries for student %s (%s): keep one" % (sid, names)
    return sorted((tuple(e) for e in entries), key=lambda e: e[0])


def safe_target(dest, name):
    """The path under dest for member `name`, or Refused."""
    if "\0" in name:
        raise Refused("member name with a NUL byte")
    if name.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", name) or name.startswith("\\"):
        raise Refused("member with an absolute path: %s" % name)
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise Refused("member with a '..' component: %s" % name)
    if not parts:
        return None  # "./" itself
    target = os.path.join(dest, *parts)
    real_dest = os.path.realpath(dest)
    if os.path.commonpath([os.path.realpath(target), real_dest]) != real_dest:
        raise Refused("member outside the archive's directory: %s" % name)
    return target


class Budget:
    def __init__(self):
        self.members = 0
        self.bytes = 0

    def member(self):
        self.members += 1
        if self.members > MAX_MEMBERS:
            raise Refused("more than %d members" % MAX_MEMBERS)

    def announce(self, size, name):
        # the header's size is only a hint: refuse early when it is already
        # too big, but count what is really copied (copy() below)
        if size is not None and self.bytes + size > MAX_BYTES:
            raise Refused("more than %d MB uncompressed (at %s)" % (MAX_BYTES >> 20, name))

    def copy(self, src, target, name, mode=0o644):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        with os.fdopen(fd, "wb") as out:
            while True:
                buf = src.read(CHUNK)
                if not buf:
                    break
                self.bytes += len(buf)
                if self.bytes > MAX_BYTES:
                    raise Refused("more than %d MB uncompressed (at %s)" % (MAX_BYTES >> 20, name))
                out.write(buf)


def file_mode(perm):
    return 0o755 if perm & 0o111 else 0o644


def extract_zip(path, dest):
    budget = Budget()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise Refused("more than %d members" % MAX_MEMBERS)
        for info in infos:
            budget.member()
            name = info.filename
            target = safe_target(dest, name)
            unix = info.external_attr >> 16
            ftype = stat.S_IFMT(unix)
            if ftype == stat.S_IFLNK:
                raise Refused("symbolic link member: %s" % name)
            if ftype not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise Refused("special file member (device, FIFO or socket): %s" % name)
            if target is None:
                continue
            if info.is_dir() or ftype == stat.S_IFDIR:
                os.makedirs(target, exist_ok=True)
                continue
            budget.announce(info.file_size, name)
            with zf.open(info) as src:
                budget.copy(src, target, name, file_mode(unix & 0o777))


def extract_tar(path, dest):
    budget = Budget()
    with tarfile.open(path, "r:*") as tf:
        for m in tf:   # streamed: a header at a time, counted as they come
            budget.member()
            name = m.name
            target = safe_target(dest, name)
            if m.issym():
                raise Refused("symbolic link member: %s -> %s" % (name, m.linkname))
            if m.islnk():
                raise Refused("hard link member: %s -> %s" % (name, m.linkname))
            if m.ischr() or m.isblk() or m.isfifo():
                raise Refused("device or FIFO member: %s" % name)
            if not (m.isdir() or m.isreg()):
                raise Refused("member of an unsupported type: %s" % name)
            if target is None:
                continue
            if m.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            budget.announce(m.size, name)
            src = tf.extractfile(m)
            budget.copy(src, target, name, file_mode(m.mode))


def unpack(path, ext, dest, slugs=()):
    """Unpack into dest (empty); the checkout root, or raise Refused."""
    try:
        if ext == ".zip":
            extract_zip(path, dest)
        else:
            extract_tar(path, dest)
    except Refused:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error,
            NotImplementedError, RuntimeError, ValueError, OSError) as e:
        why = (str(e).strip().split("\n")[0].rstrip(":") or type(e).__name__)
        raise Refused("corrupt or unreadable archive: %s" % why)
    top = [n for n in os.listdir(dest) if n not in IGNORED_TOP]
    if not is_checkout(dest, slugs) and len(top) == 1 and os.path.isdir(os.path.join(dest, top[0])):
        return os.path.join(dest, top[0])
    return dest


def is_checkout(root, slugs):
    """labs/NN-slug/ is the kit's layout; tl-grade also takes NN-slug/ at the top."""
    return os.path.isdir(os.path.join(root, "labs")) or \
        any(os.path.isdir(os.path.join(root, s)) for s in slugs)


# ---------------------------------------------------------------------------
# Grading

class Runner:
    def __init__(self, args, labs, all_labs):
        self.args = args
        self.labs = labs
        self.all_labs = all_labs
        self.lock = threading.Lock()
        self.running = {}          # pid -> Popen
        self.stopping = False

    def descendants(self, pid):
        children = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                ppid = int(st[st.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d))
        out, todo = [], [pid]
        while todo:
            for c in children.get(todo.pop(), []):
                out.append(c)
                todo.append(c)
        return out

    @staticmethod
    def staging_dirs(pids):
        """tl-grade's /tmp/tl-grade-XXXXXX work directories, as seen in the
        cwd, command line and open files of its processes."""
        found = set()
        for p in pids:
            seen = []
            for link in ["cwd"] + ["fd/" + fd for fd in _listdir("/proc/%d/fd" % p)]:
                try:
                    seen.append(os.readlink("/proc/%d/%s" % (p, link)))
                except OSError:
                    pass
            try:
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    seen += f.read().decode("utf-8", "replace").split("\0")
            except OSError:
                pass
            for s in seen:
                m = STAGING.search(s)
                if m:
                    found.add(m.group(1))
        return found

    def kill(self, proc):
        """SIGKILL tl-grade's process group, then whatever it started in
        groups of their own (each test runs in its own), then remove its
        staging directory (a killed tl-grade cannot)."""
        if proc.poll() is not None:
            return
        kids = self.descendants(proc.pid)
        staging = self.staging_dirs([proc.pid] + kids)
        for target in [proc.pid] + kids:
            for fn, arg in ((os.killpg, target), (os.kill, target)):
                try:
                    fn(arg, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.5)   # let the killed tests go before removing their files
        for d in staging:
            shutil.rmtree(d, ignore_errors=True)

    def stop_all(self):
        with self.lock:
            self.stopping = True
            procs = list(self.running.values())
        for p in procs:
            self.kill(p)

    def grade(self, sid, path, kind, error):
        a = self.args
        seed = student_seed(a.seed, sid)
        row = {"id": sid, "seed": seed, "score": None, "max": None, "seconds": None,
               "error": error, "results": None, "labs": {}, "entry": os.path.basename(path)}
        sdir = os.path.join(a.out, "students", sid)
        shutil.rmtree(sdir, ignore_errors=True)   # a stale results.json must not be read back
        if error:
            return row
        t0 = time.monotonic()
        tmp = None
        try:
            if kind == "dir":
                root = path
            else:
                tmp = tempfile.mkdtemp(prefix="tl-batch-")   # mode 0700, ours alone
                dest = os.path.join(tmp, "checkout")
                os.mkdir(dest)
                try:
                    root = unpack(path, kind, dest, self.all_labs)
                except Refused as e:
                    row["error"] = "archive refused: %s" % e
                    return row
            if not is_checkout(root, self.all_labs):
                row["error"] = NO_LABS
                return row
            os.makedirs(sdir, exist_ok=True)
            self.run_grader(row, root, sdir)
        finally:
            row["seconds"] = round(time.monotonic() - t0, 1)
            if tmp:
                shutil.rmtree(tmp, ignore_errors=True)
        return row

    def run_grader(self, row, root, sdir):
        a = self.args
        cmd = [TL_GRADE, "--kit", ROOT, "--submission", os.path.abspath(root), "--out", sdir,
               "--jobs", str(a.grade_jobs), "--seed", str(row["seed"])]
        for l in self.labs:
            cmd += ["--lab", l]
        if a.stages:
            cmd += ["--stages", a.stages]
        log = os.path.join(sdir, "grade.log")
        timed_out = False
        with open(log, "wb") as logf:
            logf.write(("$ %s\n" % " ".join(shlex.quote(c) for c in cmd)).encode())
            logf.flush()
            with self.lock:
                if self.stopping:
                    row["error"] = "batch interrupted"
                    return
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=ROOT)
                self.running[proc.pid] = proc
            try:
                proc.wait(timeout=a.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                self.kill(proc)
            finally:
                with self.lock:
                    self.running.pop(proc.pid, None)
        if timed_out:
            row["error"] = "timed out after %d s: grading killed" % a.timeout
            with open(log, "a") as f:
                f.write("\nbatch: %s\n" % row["error"])
            return
        if self.stopping and proc.returncode != 0:
            row["error"] = "batch interrupted"
            return
        if proc.returncode != 0:
            row["error"] = "tl-grade exited with status %s: %s" % (proc.returncode, last_words(log))
            return
        res_path = os.path.join(sdir, "results.json")
        try:
            with open(res_path) as f:
                res = json.load(f)
            labs = res.get("extra_data", {}).get("labs", [])
            row["score"] = float(res["score"])
            mx = res.get("extra_data", {}).get("max_score")
            row["max"] = float(mx) if mx is not None else float(sum(l.get("max_score", 0) for l in labs))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            row["error"] = "no usable results.json (%s): %s" % (type(e).__name__, last_words(log))
            return
        for l in labs:
            if isinstance(l, dict) and "lab" in l:
                row["labs"][l["lab"]] = {"score": l.get("score"), "max_score": l.get("max_score"),
                                         "built": l.get("built")}
        row["results"] = os.path.relpath(res_path, a.out)


def _listdir(d):
    try:
        return os.listdir(d)
    except OSError:
        return []


def last_words(log):
    try:
        with open(log, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip() and not l.startswith("$ ")]
    except OSError:
        return "no log"
    for l in reversed(lines):
        if l.startswith("tl-grade:"):
            return l
    return lines[-1] if lines else "no output"


# ---------------------------------------------------------------------------
# Reports

def num(x):
    if x is None:
        return ""
    return ("%d" % x) if float(x).is_integer() else ("%.2f" % x).rstrip("0")


def one_line(s):
    return re.sub(r"\s+", " ", s or "").strip()[:400]


def write_gradebook(path, rows, labs):
    extra = sorted({l for r in rows for l in r["labs"]} - set(labs))
    cols = labs + extra
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student"] + cols + ["total", "max", "seconds", "seed", "error"])
        for r in rows:
            w.writerow([r["id"]] + [num(r["labs"].get(l, {}).get("score")) for l in cols] +
                       [num(r["score"]), num(r["max"]), "" if r["seconds"] is None else "%.1f" % r["seconds"],
                        r["seed"], one_line(r["error"])])
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="Grade every submission in a directory; write a gradebook.")
    ap.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                    help="one entry per student: a checkout directory or a .zip/.tar.gz/.tgz/.tar")
    ap.add_argument("--out", default="batch-grades", help="output directory (default batch-grades)")
    ap.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    ap.add_argument("--grade-jobs", type=int, default=1, help="tests at once within one grading (tl-grade --jobs, default 1)")
    ap.add_argument("--seed", type=int, default=1, help="batch seed; each student's is derived from it and the id (default 1)")
    ap.add_argument("--lab", action="append", default=[], help="NN or NN-slug (repeatable; default all labs)")
    ap.add_argument("--stages", default=None, help="pass --stages to tl-grade (default: all stages)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds for one grading (default 1800)")
    ap.add_argument("--only", action="append", default=[], help="grade only this student id (repeatable)")
    ap.add_argument("--no-stats", action="store_true",
                    help="skip the class statistics (class_stats.py into OUT/stats) at the end")
    args = ap.parse_args()

    def usage(msg):
        print("batch: " + msg, file=sys.stderr)
        return 2

    if not os.path.isdir(args.submissions):
        return usage("%s is not a directory" % args.submissions)
    if args.jobs < 1 or args.grade_jobs < 1 or args.timeout < 1:
        return usage("--jobs, --grade-jobs and --timeout must be at least 1")
    all_labs = kit_labs()
    if not all_labs:
        return usage("no labs in %s (reference/NN-*/lab.conf)" % ROOT)
    try:
        labs = select_labs(all_labs, args.lab)
    except SystemExit as e:
        return usage(str(e).replace("batch: ", "", 1))
    if not os.access(TL_GRADE, os.X_OK):
        print("batch: building the grader (make -s -C %s)" % os.path.join(ROOT, "grader"), flush=True)
        if subprocess.run(["make", "-s", "-C", os.path.join(ROOT, "grader")]).returncode != 0 \
                or not os.access(TL_GRADE, os.X_OK):
            return usage("no %s and building it failed" % TL_GRADE)

    entries = scan(args.submissions, skip={os.path.realpath(args.out)})
    if args.only:
        missing = [o for o in args.only if o not in {e[0] for e in entries}]
        if missing:
            return usage("no student %s in %s" % (", ".join(missing), args.submissions))
        entries = [e for e in entries if e[0] in args.only]
    args.out = os.path.abspath(args.out)
    os.makedirs(os.path.join(args.out, "students"), exist_ok=True)

    start = datetime.datetime.now().astimezone()
    t0 = time.monotonic()
    n = len(entries)
    print("batch: %d submission(s) in %s, labs %s, %d at once, seed %d" %
          (n, args.submissions, " ".join(labs), args.jobs, args.seed), flush=True)
    runner = Runner(args, labs, all_labs)
    rows = []
    interrupted = False
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
    try:
        futs = {ex.submit(runner.grade, *e): e for e in entries}
        for k, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            e = futs[fut]
            try:
                r = fut.result()
            except Exception as exc:   # a bug here must cost one row, not the batch
                r = {"id": e[0], "seed": student_seed(args.seed, e[0]), "score": None, "max": None,
                     "seconds": None, "error": "batch.py failed: %s: %s" % (type(exc).__name__, exc),
                     "results": None, "labs": {}, "entry": os.path.basename(e[1])}
            rows.append(r)
            if r["error"]:
                print("[%d/%d] %s  ERROR: %s" % (k, n, r["id"], one_line(r["error"])), flush=True)
            else:
                print("[%d/%d] %s  %s/%s  %.1f s" % (k, n, r["id"], num(r["score"]), num(r["max"]),
                                                     r["seconds"]), flush=True)
    except KeyboardInterrupt:
        interrupted = True
        print("\nbatch: interrupted; stopping the gradings in progress", file=sys.stderr, flush=True)
        runner.stop_all()
        ex.shutdown(wait=True, cancel_futures=True)
    finally:
        ex.shutdown(wait=True)

    wall = time.monotonic() - t0
    done = {r["id"] for r in rows}
    for e in entries:
        if e[0] not in done:
            rows.append({"id": e[0], "seed": student_seed(args.seed, e[0]), "score": None, "max": None,
                         "seconds": None, "error": "batch interrupted", "results": None, "labs": {},
                         "entry": os.path.basename(e[1])})
    rows.sort(key=lambda r: r["id"])
    write_gradebook(os.path.join(args.out, "gradebook.csv"), rows, labs)
    report = dict(machine_info())
    report.update({
        "seed": args.seed,
        "command": " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:]),
        "submissions_dir": os.path.abspath(args.submissions),
        "labs": labs,
        "stages": args.stages or "tests,race,memory (all)",
        "jobs": args.jobs, "grade_jobs": args.grade_jobs, "timeout": args.timeout,
        "start": start.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 1),
        "submissions": len(rows),
        "submissions_per_minute": round(len(rows) / (wall / 60), 2) if wall > 0 else None,
        "interrupted": interrupted,
        "students": [{"id": r["id"], "entry": r["entry"], "seed": r["seed"], "score": r["score"],
                      "max": r["max"], "seconds": r["seconds"], "error": r["error"],
                      "results": r["results"], "labs": r["labs"]} for r in rows],
    })
    with open(os.path.join(args.out, "batch.json.tmp"), "w") as f:
        json.dump(report, f, indent=1)
    os.replace(os.path.join(args.out, "batch.json.tmp"), os.path.join(args.out, "batch.json"))

    errors = sum(1 for r in rows if r["error"])
    print()
    print("batch: %d graded, %d with an error; wall time %.1f s, %.2f submissions/minute" %
          (len(rows) - errors, errors, wall, report["submissions_per_minute"] or 0))
    print("Reports: %s, %s" % (os.path.join(args.out, "gradebook.csv"), os.path.join(args.out, "batch.json")))
    if not interrupted and not args.no_stats:
        # the class statistics, so every way in (make batch, tl-grade batch,
        # the Docker image's batch) ends with them; a failure here is said
        # but leaves the gradebook, and the exit status, as they are
        stats = [sys.executable, os.path.join(ROOT, "grader", "tools", "class_stats.py"), args.out]
        sys.stdout.flush()
        if subprocess.run(stats).returncode != 0:
            print("batch: the class statistics failed; the gradebook is complete "
                  "(retry: %s)" % " ".join(shlex.quote(a) for a in stats), file=sys.stderr)
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
