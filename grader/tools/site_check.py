#!/usr/bin/env python3
"""site_check.py - check the handout site (grader/tools/handout.sh) as a reader gets it.

    site_check.py SITE [--handouts DIR] [--screenshots DIR] [--lab SLUG]

1. Links: every .html page of SITE is parsed (html.parser). Each internal
   link (a/link href) must name a file of SITE, and its #fragment an id on
   that page; each src (img, script...) a file of SITE. A link that leaves
   the site (an absolute path, file:, or a stylesheet, script or image on
   the network) fails: the site must read offline. A link to a web page
   (http, https, mailto) is listed, never fetched. Every page must be
   reachable from index.html, and with --handouts, every DIR/NN-slug.md
   must have its page.
2. Rendering: each page is opened from file:// in headless Chromium
   (--dump-dom); the page fails if Chromium errs or times out twice, or if
   the DOM it built is empty or lacks the page's title.
3. Screenshots: index.html and the page of --lab (default 12-go-goroutines)
   to DIR/index.png and DIR/labNN.png (default SITE/screenshots) at
   1280x1600; each must be a PNG of that size that is not blank.

Exits 0, or 1 naming each page and link at fault and the command to
reproduce. Python 3 standard library and Debian's chromium (make deps).
"""
import argparse
import glob
import html.parser
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import urllib.parse
import zlib

WIDTH, HEIGHT = 1280, 1600
TIMEOUT = 60          # seconds per Chromium call; one retry
MIN_PNG_BYTES = 20000  # a blank 1280x1600 page compresses to a few KB
MIN_PNG_VALUES = 64   # distinct byte values in the decompressed pixels


class Page(html.parser.HTMLParser):
    """The ids, links (href) and sources (src) of one HTML page, and its title."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.hrefs, self.srcs = set(), [], []
        self.title, self._in_title = "", False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        line = self.getpos()[0]
        if a.get("href") is not None and tag in ("a", "link", "area"):
            self.hrefs.append((tag, a.get("rel") or "", a["href"], line))
        if a.get("src") is not None:
            self.srcs.append((tag, "", a["src"], line))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    p.title = " ".join(p.title.split())
    return p


def check_links(site, handouts):
    """Problems (strings) with the site's links, the external links, the pages."""
    pages = {}
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        pages[os.path.relpath(path, site)] = parse(path)
    problems, external, linked = [], [], set()
    if "index.html" not in pages:
        problems.append(f"{site}/index.html: missing (the site has no index)")
    if handouts:
        for md in sorted(glob.glob(os.path.join(handouts, "[0-9][0-9]-*.md"))):
            want = os.path.basename(md)[:-3] + ".html"
            if want not in pages:
                problems.append(f"{want}: missing (the page of {md})")
    for name, p in pages.items():
        here = os.path.dirname(name)
        refs = [r + ("href",) for r in p.hrefs] + [r + ("src",) for r in p.srcs]
        for tag, rel, ref, line, attr in refs:
            u = urllib.parse.urlsplit(ref)
            what = f'{name} line {line}: <{tag} {attr}="{ref}">'
            if u.scheme in ("http", "https", "mailto"):
                if attr == "src" or tag == "link":  # a stylesheet, an icon, a script
                    problems.append(f"{what} loads from the network (the site must read offline)")
                else:
                    external.append(f"{name} line {line}: {ref}")
                continue
            if u.scheme or u.netloc or u.path.startswith("/"):
                problems.append(f"{what} points outside the site")
                continue
            target = os.path.normpath(os.path.join(here, urllib.parse.unquote(u.path))) if u.path else name
            if target.startswith(".."):
                problems.append(f"{what} points outside the site")
                continue
            if not os.path.isfile(os.path.join(site, target)):
                problems.append(f"{what}: no such file {target} in {site}")
                continue
            if target in pages:
                if target != name:
                    linked.add(target)
                frag = urllib.parse.unquote(u.fragment)
                if frag and frag not in pages[target].ids:
                    problems.append(f"{what}: {target} has no element with id \"{frag}\"")
            elif u.fragment:
                problems.append(f"{what}: a #fragment on {target}, which is not a page")
    for name in pages:
        if name != "index.html" and name not in linked:
            problems.append(f"{name}: no page links to it (unreachable from index.html)")
    return pages, problems, external


class Chromium:
    """Headless Chromium calls, each with its own timeout and one retry."""

    def __init__(self, exe):
        self.exe = exe
        self.profile = tempfile.mkdtemp(prefix="site-check-chromium-")

    def close(self):
        shutil.rmtree(self.profile, ignore_errors=True)

    def run(self, url, *args):
        """(stdout, error or None) of one call: retried once on a crash or a timeout."""
        cmd = [self.exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={self.profile}", *args, url]
        err = None
        for _ in range(2):
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                err = f"no answer from Chromium in {TIMEOUT} s"
                continue
            if r.returncode == 0:
                return r.stdout, None
            tail = [l for l in r.stderr.splitlines() if "dbus" not in l][-3:]
            err = f"Chromium exited with {r.returncode}: " + " | ".join(tail)
        return "", err


def check_render(chrome, site, name, page):
    url = "file://" + urllib.parse.quote(os.path.abspath(os.path.join(site, name)))
    dom, err = chrome.run(url, "--dump-dom")
    if err:
        return f"{name}: does not render: {err} (by hand: {chrome.exe} --headless --no-sandbox --dump-dom {url})"
    m = re.search(r"<body[^>]*>(.*)</body>", dom, re.S)
    text = " ".join(re.sub(r"<[^>]*>", " ", m.group(1)).split()) if m else ""
    if not text:
        return f"{name}: Chromium built an empty page (DOM of {len(dom)} characters, no text in <body>)"
    if page.title and page.title not in " ".join(dom.split()).replace("&amp;", "&"):
        return f"{name}: the DOM Chromium built lacks the page's title \"{page.title}\""
    return None


def png_problem(path):
    """None if path is a non-blank WIDTH x HEIGHT PNG, else what is wrong."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"not written ({e.strerror})"
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return "not a PNG (no PNG signature and IHDR chunk)"
    w, h = struct.unpack(">II", data[16:24])
    if (w, h) != (WIDTH, HEIGHT):
        return f"{w}x{h}, not {WIDTH}x{HEIGHT}"
    if len(data) < MIN_PNG_BYTES:
        return f"{len(data)} bytes: a blank page (a page with text is over {MIN_PNG_BYTES})"
    idat, pos = b"", 8
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    try:
        values = len(set(zlib.decompress(idat)))
    except zlib.error:
        return "its pixel data does not decompress"
    if values < MIN_PNG_VALUES:
        return f"only {values} distinct byte values in its pixels: a blank page"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", help="the folder handout.sh wrote (make handout: handout/build)")
    ap.add_argument("--handouts", help="handout/: each NN-slug.md there must have its page")
    ap.add_argument("--screenshots", help="where index.png and labNN.png go (default SITE/screenshots)")
    ap.add_argument("--lab", default="12-go-goroutines", help="the lab page to screenshot")
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    a = ap.parse_args()
    site = a.site.rstrip("/") or "/"
    again = f"reproduce: python3 grader/tools/site_check.py {' '.join(sys.argv[1:])}"

    pages, problems, external = check_links(site, a.handouts)
    nlinks = sum(len(p.hrefs) + len(p.srcs) for p in pages.values())
    print(f"site check: {len(pages)} pages, {nlinks} links and sources, {len(external)} external (not fetched)")
    for e in external:
        print(f"  external: {e}")

    exe = shutil.which(a.chromium)
    if not exe:
        problems.insert(0, f"Chromium ({a.chromium}) is not installed: make deps installs it "
                        "(Debian: apt-get install chromium); the pages were not rendered")
    else:
        chrome = Chromium(exe)
        try:
            for name, page in pages.items():
                bad = check_render(chrome, site, name, page)
                if bad:
                    problems.append(bad)
            shots = a.screenshots or os.path.join(site, "screenshots")
            os.makedirs(shots, exist_ok=True)
            lab = a.lab + ".html"
            for name, png in (("index.html", "index.png"), (lab, "lab" + a.lab[:2] + ".png")):
                if name not in pages:
                    problems.append(f"{name}: no such page to screenshot in {site}")
                    continue
                out = os.path.join(shots, png)
                if os.path.exists(out):
                    os.remove(out)
                url = "file://" + urllib.parse.quote(os.path.abspath(os.path.join(site, name)))
                _, err = chrome.run(url, f"--screenshot={os.path.abspath(out)}",
                                    f"--window-size={WIDTH},{HEIGHT}")
                bad = err or png_problem(out)
                if bad:
                    problems.append(f"{name}: screenshot {out}: {bad}")
                else:
                    print(f"site check: {out} ({os.path.getsize(out) // 1024} KB)")
        finally:
            chrome.close()

    if problems:
        for p in problems:
            print(f"FAIL  {p}")
        print(again)
        return 1
    print(f"site check: every link resolves, all {len(pages)} pages render in Chromium")
    return 0


if __name__ == "__main__":
    sys.exit(main())
