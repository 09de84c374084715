#!/usr/bin/env python3
"""pack.py - write the Gradescope autograder zip (make gradescope).

    docker/gradescope/pack.py OUT.zip [--lab NN]...

Gradescope wants setup.sh and run_autograder at the zip's root; it unpacks
the zip in /autograder/source, runs setup.sh once when it builds the image
and run_autograder for each submission. The rest of the zip is the kit (the
files git knows, as they are in the working tree, hidden tests and reference
included: Gradescope never shows the zip to students). With --lab, the
assignment grades only those labs, whatever the submission holds
(gradescope.conf); without, every lab found in the submission.
"""
import argparse
import os
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP_DIRS = {".git", "build", "grades", "batch-grades"}


def kit_files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], capture_output=True, check=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
    return sorted(f for f in files if f != ".kit-commit" and os.path.isfile(os.path.join(ROOT, f))
                  and not os.path.islink(os.path.join(ROOT, f)))


def commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                              check=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def add(z, name, data, executable):
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # same bytes every time
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    z.writestr(info, data)


def main():
    ap = argparse.ArgumentParser(description="write the Gradescope autograder zip")
    ap.add_argument("out")
    ap.add_argument("--lab", action="append", default=[])
    a = ap.parse_args()
    labs = sorted(os.listdir(os.path.join(ROOT, "labs")))
    for want in a.lab:
        if not any(l == want or l.split("-")[0] == want for l in labs):
            sys.exit("pack.py: no lab %s in labs/" % want)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    here = os.path.join(ROOT, "docker", "gradescope")
    n = 0
    with zipfile.ZipFile(a.out, "w") as z:
        for name in ("setup.sh", "run_autograder"):
            add(z, name, open(os.path.join(here, name), "rb").read(), True)
        for f in kit_files():
            p = os.path.join(ROOT, f)
            add(z, f, open(p, "rb").read(), os.access(p, os.X_OK))
            n += 1
        add(z, ".kit-commit", commit() + "\n", False)
        if a.lab:
            add(z, "gradescope.conf", "# the labs this assignment grades\nlabs = %s\n" % " ".join(a.lab), False)
    print("gradescope: %s (%d kit files, %s; %d KB)" % (
        os.path.relpath(a.out), n, "labs " + " ".join(a.lab) if a.lab else "every lab the submission has",
        os.path.getsize(a.out) // 1024))
    print("Upload it as the assignment's autograder (Configure Autograder, Zip file upload).")


if __name__ == "__main__":
    main()
