/*
 * sandbox.c - run one command the way a test must run: its own process
 * group, resource limits, a scratch directory, a wall-clock timeout that
 * kills the whole group, output kept up to a cap, and (for tests) the
 * private result channel of tl_proto.h with a fresh nonce.
 *
 * Safe to call from several grader threads at once: every descriptor is
 * opened close-on-exec, and the child only calls async-signal-safe
 * functions between fork and exec.
 *
 * Untrusted code (sb_opts.limits: the lab's test binaries) gets more, as
 * far as the kernel allows, probed once by sb_isolation_init():
 *   - its own PID, network and mount namespaces (as root directly; as a
 *     user inside a user namespace). A small init process waits for the
 *     test; when it returns, everything else in the namespace dies with it,
 *     daemons and double forks included. The network namespace has only
 *     its own loopback, up. In the mount namespace the kit and the
 *     grader's work directory are bind-mounted read-only.
 *   - as root: the test runs as an unprivileged uid of its own (one per
 *     running test, locked with flock so parallel graders never share one),
 *     which makes RLIMIT_NPROC a per-test limit and leaves every file the
 *     test did not create unwritable to it.
 * Whatever is available, process group, rlimits, timeout and the marker
 * sweep below still apply, and sb_isolation_note() says what was in force.
 */
#define _GNU_SOURCE
#include "tl.h"
#include "../include/tl_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>

extern char **environ;

char *sb_which(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    char *dup = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL, *res = NULL;
    for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *c = xasprintf("%s/%s", d, name);
        if (access(c, X_OK) == 0) {
            res = c;
            break;
        }
        free(c);
    }
    free(dup);
    return res;
}

const char *sb_describe_signal(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV (segmentation fault: a bad pointer, a stack overflow into a guard page, or a corrupted stack)";
    case SIGBUS: return "SIGBUS (bus error: a misaligned or unmapped access)";
    case SIGABRT: return "SIGABRT (abort: a failed assert, a lab panic, or heap corruption detected by malloc)";
    case SIGFPE: return "SIGFPE (arithmetic fault, e.g. division by zero)";
    case SIGILL: return "SIGILL (illegal instruction: jumped into data, or a trap)";
    case SIGKILL: return "SIGKILL (killed: a resource limit or the timeout)";
    case SIGXCPU: return "SIGXCPU (CPU time limit exceeded: a busy loop?)";
    case SIGXFSZ: return "SIGXFSZ (file size limit exceeded)";
    case SIGPIPE: return "SIGPIPE (wrote to a pipe with no reader)";
    case SIGTERM: return "SIGTERM";
    default: return strsignal(sig);
    }
}

static void make_nonce(char *out)
{
    unsigned char raw[TL_NONCE_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* Fall back to something unpredictable enough for a grader. */
            uint64_t x = mix64((uint64_t)now_s() * 1000003u ^ (uint64_t)getpid());
            for (size_t i = got; i < sizeof raw; i++, x = mix64(x))
                raw[i] = (unsigned char)x;
            break;
        }
        got += (size_t)r;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
    out[TL_NONCE_LEN] = '\0';
}

/* Every process a run starts inherits TL_SANDBOX=<token>; after the run,
 * any process still carrying it (a daemon that called setsid, a
 * double-forked child) is found in /proc and killed. */
#define TL_ENV_SANDBOX "TL_SANDBOX"

static int proc_has_marker(pid_t pid, const char *marker)
{
    char path[64], buf[65536];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    size_t ml = strlen(marker);
    for (ssize_t i = 0; i + (ssize_t)ml <= n; i++)
        if ((i == 0 || buf[i - 1] == '\0') && memcmp(buf + i, marker, ml) == 0 &&
            (i + (ssize_t)ml == n || buf[i + ml] == '\0'))
            return 1;
    return 0;
}

/* Kill every process that carries MARKER; returns how many were found. */
static int kill_marked(const char *marker)
{
    int found = 0;
    for (int round = 0; round < 5; round++) {
        int here = 0;
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            pid_t pid = (pid_t)atoi(e->d_name);
            if (pid <= 1 || pid == getpid())
                continue;
            if (proc_has_marker(pid, marker)) {
                kill(pid, SIGKILL);
                here++;
            }
        }
        if (d)
            closedir(d);
        found += here;
        if (!here)
            break;
        usleep(10000);
    }
    return found;
}

/* ------------------------------------------------------------------ */
/* Isolation for untrusted code                                        */
/* ------------------------------------------------------------------ */

/* Set once by sb_isolation_init (before any grader thread exists), read
 * only afterwards. */
static struct {
    int ns_flags;             /* CLONE_NEW* that worked in the probe, or 0 */
    int userns;               /* ns_flags includes CLONE_NEWUSER */
    int per_job_uid;          /* root: each test runs as a uid of its own */
    int build_uid, build_gid; /* root with TL_BUILD_USER: builds run as this user; else -1 */
    char ro[4][PATH_MAX];     /* made read-only in the mount namespace */
    char uid_map[64], gid_map[64];
    char lockdir[64];
    char note[512];
} iso;

/* Uids (and gids) handed to tests when the grader runs as root: a block
 * of SB_UID_COUNT from sb_uid_base. Graders that share a lock directory
 * (every grader of one host or one container) never hand out the same uid
 * at once. Graders that do not (the host's and a container's, or two
 * containers on one host) must use disjoint blocks, since the kernel's
 * uids are shared: a sweep of one grader's test uid would kill the other's
 * test, and RLIMIT_NPROC would count both. TL_UID_BASE moves the block
 * (the grading image's entrypoint draws one at random, above the host's). */
enum { SB_UID_DEFAULT_BASE = 61000, SB_UID_COUNT = 1000 };
static unsigned sb_uid_base = SB_UID_DEFAULT_BASE; /* set once, in sb_isolation_init */
#define SB_UID_BASE sb_uid_base

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Bind PATH onto itself read-only, keeping the flags the kernel locks for
 * a mount seen from a user namespace (nosuid, nodev, noexec, atime). */
static int ro_bind(const char *path)
{
    struct statvfs sv;
    if (!path[0])
        return 0;
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 || statvfs(path, &sv) < 0)
        return -1;
    unsigned long fl = MS_BIND | MS_REMOUNT | MS_RDONLY;
    if (sv.f_flag & ST_NOSUID) fl |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) fl |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) fl |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) fl |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) fl |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) fl |= MS_RELATIME;
    return mount(NULL, path, NULL, fl, NULL);
}

/* Bring up the loopback interface of a new network namespace (it starts
 * down): tests may talk TCP to themselves on 127.0.0.1, and nothing else,
 * since the namespace's loopback is its own, not the host's. */
static int loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return rc;
}

/* In the child: enter the namespaces and make the kit read-only. Only
 * system calls: safe between fork and exec. 0 or -1. */
static int enter_namespaces(void)
{
    if (unshare(iso.ns_flags) < 0)
        return -1;
    if (iso.userns && (write_file("/proc/self/setgroups", "deny") < 0 ||
                       write_file("/proc/self/uid_map", iso.uid_map) < 0 ||
                       write_file("/proc/self/gid_map", iso.gid_map) < 0))
        return -1;
    if ((iso.ns_flags & CLONE_NEWNET) && loopback_up() < 0)
        return -1;
    if (iso.ns_flags & CLONE_NEWNS) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            return -1;
        for (int i = 0; i < 4; i++)
            if (ro_bind(iso.ro[i]) < 0)
                return -1;
    }
    return 0;
}

static int try_namespaces(int flags)
{
    iso.ns_flags = flags;
    iso.userns = !!(flags & CLONE_NEWUSER);
    pid_t p = fork();
    if (p == 0)
        _exit(enter_namespaces() == 0 ? 0 : 1);
    int st = 0;
    if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        iso.ns_flags = iso.userns = 0;
        return 0;
    }
    return 1;
}

/* Whether this host (or container) has an interface other than loopback. */
static int has_network(void)
{
    DIR *d = opendir("/sys/class/net");
    struct dirent *e;
    int other = 0;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' && strcmp(e->d_name, "lo") != 0)
            other = 1;
    if (d)
        closedir(d);
    return other || !d;
}

/* A private, root-owned directory for the uid locks. */
static int make_lockdir(void)
{
    const char *cand[] = {"/run/threadlab-uids", "/tmp/.threadlab-uids"};
    for (int i = 0; i < 2; i++) {
        struct stat st;
        mkdir(cand[i], 0700);
        if (lstat(cand[i], &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
            (st.st_mode & 0077) == 0) {
            snprintf(iso.lockdir, sizeof iso.lockdir, "%s", cand[i]);
            return 1;
        }
    }
    return 0;
}

void sb_isolation_init(const char *kit, const char *work, const char *submission)
{
    const char *off = getenv("TL_SANDBOX_NS");
    int allow_ns = !(off && !strcmp(off, "0"));
    snprintf(iso.ro[0], sizeof iso.ro[0], "%s", kit ? kit : "");
    snprintf(iso.ro[1], sizeof iso.ro[1], "%s", work ? work : "");
    snprintf(iso.ro[2], sizeof iso.ro[2], "%s", submission ? submission : "");
    /* The grader may live elsewhere (a kit whose grader/ is a symlink). */
    char *gp = kit ? xasprintf("%s/grader", kit) : NULL;
    char *greal = gp ? realpath(gp, NULL) : NULL;
    if (greal && kit && strncmp(greal, kit, strlen(kit)) != 0)
        snprintf(iso.ro[3], sizeof iso.ro[3], "%s", greal);
    free(gp);
    free(greal);
    int root = geteuid() == 0;
    const char *ub = getenv("TL_UID_BASE");
    if (ub && *ub) {
        char *end;
        unsigned long v = strtoul(ub, &end, 10);
        if (*end || v < 10000 || v > 2000000000ul)
            fprintf(stderr, "tl-grade: TL_UID_BASE=%s ignored (a number from 10000 to 2000000000); "
                    "tests get uids from %u\n", ub, sb_uid_base);
        else
            sb_uid_base = (unsigned)v;
    }
    int base = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS;
    if (allow_ns) {
        if (!root) {
            snprintf(iso.uid_map, sizeof iso.uid_map, "%u %u 1\n", (unsigned)getuid(), (unsigned)getuid());
            snprintf(iso.gid_map, sizeof iso.gid_map, "%u %u 1\n", (unsigned)getgid(), (unsigned)getgid());
        }
        if (!try_namespaces(root ? base : base | CLONE_NEWUSER))
            try_namespaces(root ? CLONE_NEWPID : CLONE_NEWUSER | CLONE_NEWPID);
    }
    /* TL_BUILD_USER: a root grader compiles (and copies) as this user
     * instead of root, so nothing a submission brings runs privileged. */
    const char *bu = getenv("TL_BUILD_USER");
    struct passwd *pw = root && bu && *bu ? getpwnam(bu) : NULL;
    iso.build_uid = pw && pw->pw_uid ? (int)pw->pw_uid : -1;
    iso.build_gid = pw && pw->pw_uid ? (int)pw->pw_gid : -1;
    const char *uoff = getenv("TL_SANDBOX_UID");
    iso.per_job_uid = root && !(uoff && !strcmp(uoff, "0")) ? make_lockdir() : 0;
    struct buf b;
    buf_init(&b);
    if (iso.ns_flags)
        buf_printf(&b, "own %s%s%s namespaces%s",
                   iso.ns_flags & CLONE_NEWPID ? "PID" : "",
                   iso.ns_flags & CLONE_NEWNET ? ", network (loopback only, its own)" : "",
                   iso.ns_flags & CLONE_NEWNS ? ", mount (kit read-only)" : "",
                   iso.userns ? " inside a user namespace" : "");
    else
        buf_printf(&b, "no namespaces (%s): process group and /proc sweep only, %s",
                   allow_ns ? "the kernel, or a container's seccomp policy, refused them" : "TL_SANDBOX_NS=0",
                   has_network() ? "the network reachable" : "no network interface but loopback");
    if (iso.per_job_uid)
        buf_printf(&b, "; each test as its own unprivileged uid (%u-%u), RLIMIT_NPROC per test",
                   SB_UID_BASE, SB_UID_BASE + SB_UID_COUNT - 1);
    else
        buf_printf(&b, "; tests run as the grader's own user%s",
                   root ? " (root: no private lock directory)"
                        : iso.userns ? ", RLIMIT_NPROC per test (user namespace)" : ", no per-test process limit");
    if (iso.build_uid > 0)
        buf_printf(&b, "; builds as user %s", bu);
    else if (root && bu && *bu)
        buf_printf(&b, "; builds as root (TL_BUILD_USER=%s: no such non-root user)", bu);
    snprintf(iso.note, sizeof iso.note, "%s", b.p);
    buf_free(&b);
}

int sb_give_to_builder(const char *dir)
{
    if (iso.build_uid <= 0)
        return 0;
    return chown(dir, (uid_t)iso.build_uid, (gid_t)iso.build_gid);
}

const char *sb_isolation_note(void)
{
    return iso.note[0] ? iso.note : "not probed";
}

/* A uid no other running test (of any grader on this host) holds: the
 * flock on its file is the claim, dropped when fd closes. -1: none. */
static int claim_uid(int *fd_out)
{
    *fd_out = -1;
    if (!iso.per_job_uid)
        return -1;
    /* Start after the last uid claimed, so a uid just released (whose
     * killed processes the kernel may still be tearing down) rests. */
    static atomic_uint next_uid;
    unsigned start = (unsigned)getpid() * 7919u + atomic_fetch_add(&next_uid, 1);
    for (unsigned k = 0; k < SB_UID_COUNT; k++) {
        unsigned i = (start + k) % SB_UID_COUNT;
        char path[128];
        snprintf(path, sizeof path, "%s/%u", iso.lockdir, SB_UID_BASE + i);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            *fd_out = fd;
            return (int)(SB_UID_BASE + i);
        }
        close(fd);
    }
    return -1;
}

static int proc_is_zombie(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1; /* gone */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
    return p && (p[2] == 'Z' || p[2] == 'X');
}

/* Kill every process that runs as uid (the test's own: nothing else ever
 * does); returns how many there were. Found in /proc, where a process's
 * directory belongs to its effective uid. */
static int kill_uid(int uid)
{
    int found = 0;
    for (int round = 0; round < 20; round++) {
        int here = 0;
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            pid_t pid = (pid_t)atoi(e->d_name);
            struct stat st;
            if (pid <= 1 || fstatat(dirfd(d), e->d_name, &st, 0) < 0 || st.st_uid != (uid_t)uid ||
                proc_is_zombie(pid)) /* dead already, waiting for a parent to reap it */
                continue;
            kill(pid, SIGKILL);
            here++;
        }
        if (d)
            closedir(d);
        found += here;
        if (!here)
            break;
        usleep(10000);
    }
    return found;
}

/* Remove what uid left in the shared temporary directories (top level:
 * whatever it created deeper sits in an entry it created). */
static void sweep_uid_files(int uid)
{
    const char *dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    for (int i = 0; i < 3; i++) {
        DIR *d = opendir(dirs[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            struct stat st;
            if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == (uid_t)uid) {
                char *p = xasprintf("%s/%s", dirs[i], e->d_name);
                rm_rf(p);
                free(p);
            }
        }
        if (d)
            closedir(d);
    }
}

static char **build_env(char **extra, const char *fdvar, const char *noncevar,
                        const char *sbmarker, const char *home, const char *tmp)
{
    size_t n = 0, k = 0;
    for (char **e = environ; *e; e++)
        n++;
    for (char **e = extra; e && *e; e++)
        n++;
    char **env = xcalloc(n + 6, sizeof *env);
    for (char **e = environ; *e; e++) {
        /* Never pass a channel of ours, or of an outer grader, down. */
        if (!strncmp(*e, TL_ENV_FD "=", strlen(TL_ENV_FD) + 1) ||
            !strncmp(*e, TL_ENV_NONCE "=", strlen(TL_ENV_NONCE) + 1))
            continue;
        int overridden = (home && !strncmp(*e, "HOME=", 5)) || (tmp && !strncmp(*e, "TMPDIR=", 7));
        for (char **x = extra; x && *x; x++) {
            size_t kl = strcspn(*x, "=");
            if (!strncmp(*e, *x, kl) && (*e)[kl] == '=')
                overridden = 1;
        }
        if (!overridden)
            env[k++] = *e;
    }
    for (char **e = extra; e && *e; e++)
        env[k++] = *e;
    if (fdvar)
        env[k++] = (char *)fdvar;
    if (noncevar)
        env[k++] = (char *)noncevar;
    env[k++] = (char *)sbmarker;
    if (home)
        env[k++] = (char *)home;
    if (tmp)
        env[k++] = (char *)tmp;
    env[k] = NULL;
    return env;
}

/* Processes and threads one test may have at once, when it has a uid of
 * its own (RLIMIT_NPROC counts per uid). */
enum { SB_NPROC = 512 };

static void child_limits(const struct sb_opts *o, int own_uid)
{
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    if (!o->limits)
        return;
    rl.rlim_cur = rl.rlim_max = 256ul << 20;
    setrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = rl.rlim_max = 4096;
    setrlimit(RLIMIT_NOFILE, &rl);
    long cpu = o->cpu_s > 0 ? o->cpu_s : 4L * (o->timeout_s > 0 ? o->timeout_s : 60) + 5;
    rl.rlim_cur = (rlim_t)cpu;
    rl.rlim_max = (rlim_t)cpu + 5;
    setrlimit(RLIMIT_CPU, &rl);
    /* Address space: sanitizers reserve terabytes of shadow and cannot run
     * under RLIMIT_AS (mem_mb < 0: their own hard_rss_limit_mb applies). */
    if (o->mem_mb >= 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)(o->mem_mb ? o->mem_mb : SB_DEFAULT_MEM_MB) << 20;
        setrlimit(RLIMIT_AS, &rl);
    }
    if (own_uid) {
        rl.rlim_cur = rl.rlim_max = SB_NPROC;
        setrlimit(RLIMIT_NPROC, &rl);
    }
}

/* If the grader dies (killed, crashed), its children go too rather than
 * run on with no timeout. Set after every credential change, which clears
 * it; a parent already gone by then is caught by the getppid check. */
static void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}

/* The last step in the child: limits, the test's own uid, exec. */
static void exec_untrusted(const struct sb_opts *o, const char *exe, char **env, int uid,
                           pid_t parent)
{
    child_limits(o, uid >= 0 || iso.userns);
    int gid = uid;
    if (!o->limits && iso.build_uid > 0) /* a build, a copy, nm: as the build user */
        uid = iso.build_uid, gid = iso.build_gid;
    if (uid >= 0 && (setgroups(0, NULL) < 0 || setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) < 0 ||
                     setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0)) {
        static const char msg[] = "sandbox: cannot switch to the test's uid\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    die_with_parent(parent);
    execve(exe, o->argv, env);
    static const char msg[] = "sandbox: exec failed\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

/* In the namespaces: this process forks the namespace's init, which forks
 * the test and waits for it; when the test ends, init exits and the kernel
 * kills whatever else is left in the namespace. Init hands the test's wait
 * status back through a pipe, and this process ends the same way, so the
 * grader sees the test's own exit code or signal. */
static void run_in_namespaces(const struct sb_opts *o, const char *exe, char **env, int uid,
                              int leftfd)
{
    static const char fail[] = "sandbox: cannot enter the namespaces\n";
    if (enter_namespaces() < 0) {
        ssize_t w = write(2, fail, sizeof fail - 1);
        (void)w;
        _exit(127);
    }
    int sp[2];
    if (pipe2(sp, O_CLOEXEC) < 0)
        _exit(127);
    pid_t init = fork();
    if (init < 0)
        _exit(127);
    if (init == 0) {
        close(sp[0]);
        /* Its parent lives outside the namespace: getppid() says 0. */
        die_with_parent(0); /* and with init, the whole namespace */
        pid_t t = fork();
        if (t < 0)
            _exit(127);
        if (t == 0)
            exec_untrusted(o, exe, env, uid, 1);
        int st = 0;
        for (;;) { /* reap orphans too: init inherits them */
            int s2;
            pid_t w = waitpid(-1, &s2, 0);
            if (w == t) {
                st = s2;
                break;
            }
            if (w < 0 && errno != EINTR) {
                st = 127 << 8;
                break;
            }
        }
        /* Anything still alive in the namespace was left behind by the
         * test: init may signal them all; say whether there were any. */
        char left = kill(-1, SIGKILL) == 0 ? 'L' : '-';
        ssize_t wr = write(leftfd, &left, 1);
        wr = write(sp[1], &st, sizeof st);
        (void)wr;
        _exit(0);
    }
    close(sp[1]);
    int st = 127 << 8;
    ssize_t n;
    do
        n = read(sp[0], &st, sizeof st);
    while (n < 0 && errno == EINTR);
    waitpid(init, NULL, 0);
    if (n == (ssize_t)sizeof st && WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(n == (ssize_t)sizeof st && WIFEXITED(st) ? WEXITSTATUS(st) : 127);
}

/* Read what is there; keep up to cap, count the rest. Returns 0 on EOF. */
static int drain(int fd, struct buf *b, size_t cap, size_t *elided)
{
    char tmp[16384];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r < 0)
        return (errno == EINTR || errno == EAGAIN) ? 1 : 0;
    if (r == 0)
        return 0;
    size_t room = b->len < cap ? cap - b->len : 0;
    size_t keep = (size_t)r < room ? (size_t)r : room;
    if (keep)
        buf_add(b, tmp, keep);
    if (elided)
        *elided += (size_t)r - keep;
    return 1;
}

int sb_run(const struct sb_opts *o, struct sb_result *r)
{
    memset(r, 0, sizeof *r);
    struct buf out, chan;
    buf_init(&out);
    buf_init(&chan);
    double t0 = now_s();
    char *exe = sb_which(o->argv[0]);
    char *scratch = NULL;
    const char *cwd = o->cwd;
    int opipe[2] = {-1, -1}, cpipe[2] = {-1, -1}, lpipe[2] = {-1, -1};
    char *fdvar = NULL, *noncevar = NULL, *marker = NULL;
    char *homevar = NULL, *tmpvar = NULL;
    char **env = NULL;
    int uid = -1, uid_fd = -1;

    if (!exe) {
        buf_printf(&out, "cannot run '%s': not found or not executable\n", o->argv[0]);
        goto done;
    }
    if (o->limits)
        uid = claim_uid(&uid_fd);
    if (!cwd) {
        scratch = xstrdup("/tmp/tl-run-XXXXXX");
        if (!mkdtemp(scratch)) {
            buf_printf(&out, "cannot make a scratch directory: %s\n", strerror(errno));
            goto done;
        }
        if (uid >= 0 && chown(scratch, (uid_t)uid, (gid_t)uid) < 0) {
            buf_printf(&out, "cannot give the scratch directory to uid %d: %s\n", uid, strerror(errno));
            goto done;
        }
        cwd = scratch;
    }
    if (pipe2(opipe, O_CLOEXEC) < 0 || (o->channel && pipe2(cpipe, O_CLOEXEC) < 0) ||
        (o->limits && iso.ns_flags && pipe2(lpipe, O_CLOEXEC | O_NONBLOCK) < 0)) {
        buf_printf(&out, "pipe: %s\n", strerror(errno));
        goto done;
    }
    if (o->channel) {
        make_nonce(r->nonce);
        fdvar = xasprintf("%s=%d", TL_ENV_FD, TL_RESULT_FD_DEFAULT);
        noncevar = xasprintf("%s=%s", TL_ENV_NONCE, r->nonce);
    }
    char token[TL_NONCE_LEN + 1];
    make_nonce(token);
    marker = xasprintf("%s=%s", TL_ENV_SANDBOX, token);
    if (o->limits) { /* a home and a TMPDIR the test may write */
        homevar = xasprintf("HOME=%s", cwd);
        tmpvar = xasprintf("TMPDIR=%s", cwd);
    }
    env = build_env(o->env_extra, fdvar, noncevar, marker, homevar, tmpvar);

    pid_t grader = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        buf_printf(&out, "fork: %s\n", strerror(errno));
        goto done;
    }
    if (pid == 0) {
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        setpgid(0, 0);
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(opipe[1], 1);
        dup2(opipe[1], 2);
        if (o->channel)
            dup2(cpipe[1], TL_RESULT_FD_DEFAULT);
        if (chdir(cwd) < 0)
            _exit(127);
        die_with_parent(grader);
        if (o->limits && iso.ns_flags)
            run_in_namespaces(o, exe, env, uid, lpipe[1]);
        if (!o->limits)
            child_limits(o, 0);
        exec_untrusted(o, exe, env, o->limits ? uid : -1, grader);
    }
    setpgid(pid, pid); /* both sides, so there is no window */
    r->started = 1;
    close(opipe[1]);
    opipe[1] = -1;
    if (o->channel) {
        close(cpipe[1]);
        cpipe[1] = -1;
    }

    double deadline = t0 + (o->timeout_s > 0 ? o->timeout_s : 3600);
    int status = 0, reaped = 0, oopen = 1, copen = o->channel;
    double drain_until = 0;
    while (!reaped || oopen || copen) {
        double now = now_s();
        if (!reaped && now > deadline) {
            r->timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        if (reaped) {
            if (drain_until == 0)
                drain_until = now + 2.0;
            else if (now > drain_until)
                break; /* something outside the group holds the pipe */
        }
        struct pollfd pf[2];
        int np = 0;
        if (oopen)
            pf[np++] = (struct pollfd){.fd = opipe[0], .events = POLLIN};
        if (copen)
            pf[np++] = (struct pollfd){.fd = cpipe[0], .events = POLLIN};
        int rc = np ? poll(pf, (nfds_t)np, 50) : (usleep(20000), 0);
        if (rc > 0) {
            for (int i = 0; i < np; i++) {
                if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                if (pf[i].fd == opipe[0])
                    oopen = drain(opipe[0], &out, o->out_cap ? o->out_cap : 65536, &r->elided);
                else
                    copen = drain(cpipe[0], &chan, 1 << 20, NULL);
            }
        }
        if (!reaped) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                reaped = 1;
                /* Whatever the test left behind goes too: its group, and
                 * anything that escaped the group but kept the marker. */
                kill(-pid, SIGKILL);
                r->leftovers = kill_marked(marker);
            }
        }
    }
    if (!reaped) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    r->leftovers += kill_marked(marker);
    if (lpipe[0] >= 0) {
        close(lpipe[1]);
        lpipe[1] = -1;
        char left = 0;
        if (read(lpipe[0], &left, 1) == 1 && left == 'L')
            r->leftovers++;
    }
    if (uid >= 0 && kill_uid(uid))
        r->leftovers++; /* something of the test's uid was still alive */
    if (uid >= 0)
        sweep_uid_files(uid);
    if (WIFEXITED(status)) {
        r->exited = 1;
        r->code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r->signaled = 1;
        r->sig = WTERMSIG(status);
    }
done:
    if (opipe[0] >= 0) close(opipe[0]);
    if (opipe[1] >= 0) close(opipe[1]);
    if (cpipe[0] >= 0) close(cpipe[0]);
    if (cpipe[1] >= 0) close(cpipe[1]);
    if (lpipe[0] >= 0) close(lpipe[0]);
    if (lpipe[1] >= 0) close(lpipe[1]);
    if (scratch) {
        rm_rf(scratch);
        free(scratch);
    }
    free(exe);
    free(env);
    free(fdvar);
    free(noncevar);
    free(marker);
    free(homevar);
    free(tmpvar);
    if (uid_fd >= 0)
        close(uid_fd); /* the uid is free again: nothing of it is left */
    r->out = out.p;
    r->out_len = out.len;
    r->chan = chan.p;
    r->chan_len = chan.len;
    r->wall_s = now_s() - t0;
    return r->started ? 0 : -1;
}

void sb_result_free(struct sb_result *r)
{
    free(r->out);
    free(r->chan);
    r->out = r->chan = NULL;
}
