/*
 * sandbox.c - run one command the way a test must run: its own process
 * group, resource limits, a scratch directory, a wall-clock timeout that
 * kills the whole group, output kept up to a cap, and (for tests) the
 * private result channel of tl_proto.h with a fresh nonce.
 *
 * Safe to call from several grader threads at once: every descriptor is
 * opened close-on-exec, and the child only calls async-signal-safe
 * functions between fork and exec.
 */
#define _GNU_SOURCE
#include "tl.h"
#include "../include/tl_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

static char **build_env(char **extra, const char *fdvar, const char *noncevar,
                        const char *sbmarker)
{
    size_t n = 0, k = 0;
    for (char **e = environ; *e; e++)
        n++;
    for (char **e = extra; e && *e; e++)
        n++;
    char **env = xcalloc(n + 4, sizeof *env);
    for (char **e = environ; *e; e++) {
        /* Never pass a channel of ours, or of an outer grader, down. */
        if (!strncmp(*e, TL_ENV_FD "=", strlen(TL_ENV_FD) + 1) ||
            !strncmp(*e, TL_ENV_NONCE "=", strlen(TL_ENV_NONCE) + 1))
            continue;
        int overridden = 0;
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
    env[k] = NULL;
    return env;
}

static void child_limits(const struct sb_opts *o)
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
    int opipe[2] = {-1, -1}, cpipe[2] = {-1, -1};
    char *fdvar = NULL, *noncevar = NULL, *marker = NULL;
    char **env = NULL;

    if (!exe) {
        buf_printf(&out, "cannot run '%s': not found or not executable\n", o->argv[0]);
        goto done;
    }
    if (!cwd) {
        scratch = xstrdup("/tmp/tl-run-XXXXXX");
        if (!mkdtemp(scratch)) {
            buf_printf(&out, "cannot make a scratch directory: %s\n", strerror(errno));
            goto done;
        }
        cwd = scratch;
    }
    if (pipe2(opipe, O_CLOEXEC) < 0 || (o->channel && pipe2(cpipe, O_CLOEXEC) < 0)) {
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
    env = build_env(o->env_extra, fdvar, noncevar, marker);

    pid_t pid = fork();
    if (pid < 0) {
        buf_printf(&out, "fork: %s\n", strerror(errno));
        goto done;
    }
    if (pid == 0) {
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
        child_limits(o);
        execve(exe, o->argv, env);
        static const char msg[] = "sandbox: exec failed\n";
        ssize_t w = write(2, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
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
    if (scratch) {
        rm_rf(scratch);
        free(scratch);
    }
    free(exe);
    free(env);
    free(fdvar);
    free(noncevar);
    free(marker);
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
