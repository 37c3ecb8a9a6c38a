/*
 * lproc.c -- a task attempt as a local process group (see lproc.h).
 *
 * fork() rather than posix_spawn(): only a forked child can ask for
 * PR_SET_PDEATHSIG before it execs.  Everything the child needs (argv,
 * envp, the PATH candidates, open files) is prepared before the fork, so
 * that the child makes async-signal-safe calls only; an exec that fails
 * reports its errno through a close-on-exec pipe.
 *
 * Waiting polls a pidfd (falling back to waitid + a short sleep when the
 * kernel has none) together with a self-pipe that lproc_kill() writes.
 * The leader is detected with waitid(WNOWAIT), so that its pid stays
 * reserved (a zombie) while the rest of its group is killed, and only
 * then reaped: no signal can reach a reused pid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lit.h"
#include "lproc.h"

extern char **environ;

#define LPROC_GRACE_MS   5000
#define LPROC_POLL_MS    20   /* without a pidfd: how often to look */
#define LPROC_DEF_PATH   "/usr/local/bin:/usr/bin:/bin"
#define LPROC_MAX_CLOSE  65536 /* fds closed one by one without close_range */

struct lproc {
	pid_t pid;
	int pidfd;   /* -1: none (old kernel), poll with waitid */
	int wake[2]; /* lproc_kill() -> lproc_wait() */
	int exec_failed, exec_errno;
	int waited;
	int64_t timeout_ms, grace_ms;
	int64_t start_ms, start_mono;

	pthread_mutex_t mu; /* guards what follows */
	int reaped;         /* pid may be someone else's now: signal no more */
	int abort_req;      /* lproc_kill() was called */
	int term_sent;      /* SIGTERM went to the group at term_mono */
	int64_t term_mono;
};

/* What the child needs, all prepared before fork(). */
struct lproc_child {
	char *const *argv;
	char *const *envp;
	char **cands; /* paths to try execve on, NULL-terminated */
	const char *cwd;
	int in, out, errf, ep;
	pid_t parent;
	int maxfd;
};

static int64_t lproc_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* fd moved to 3 or above (the child's 0-2 are dup2 targets), or -1. */
static int lproc_hi(int fd)
{
	int n;

	if (fd < 0 || fd > 2)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

static void lproc_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static size_t lproc_keylen(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* The agent's environment with spec's entries added or replacing. */
static char **lproc_envp(const char *const *add, char *err, size_t errlen)
{
	size_t nenv = 0, nadd = 0, i, j, n = 0, kl;
	char **v;

	for (i = 0; environ && environ[i]; i++)
		nenv++;
	for (i = 0; add && add[i]; i++) {
		if (!strchr(add[i], '=') || add[i][0] == '=') {
			snprintf(err, errlen,
			         "environment entry '%s' is not KEY=VALUE", add[i]);
			return NULL;
		}
		nadd++;
	}
	v = calloc(nenv + nadd + 1, sizeof *v);
	if (!v)
		goto oom;
	for (i = 0; i < nenv; i++) {
		kl = lproc_keylen(environ[i]);
		for (j = 0; j < nadd; j++)
			if (lproc_keylen(add[j]) == kl &&
			    strncmp(add[j], environ[i], kl) == 0)
				break;
		if (j < nadd)
			continue;
		if (!(v[n++] = strdup(environ[i])))
			goto oom;
	}
	for (j = 0; j < nadd; j++) {
		/* The last of repeated keys wins. */
		kl = lproc_keylen(add[j]);
		for (i = j + 1; i < nadd; i++)
			if (lproc_keylen(add[i]) == kl &&
			    strncmp(add[i], add[j], kl) == 0)
				break;
		if (i < nadd)
			continue;
		if (!(v[n++] = strdup(add[j])))
			goto oom;
	}
	return v;
oom:
	lproc_strv_free(v);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* The files execve is tried on, in order: the command itself when it
 * holds a '/', else each PATH directory joined with it (an empty
 * element is the working directory, as execvp does). */
static char **lproc_cands(const char *cmd, char *const *envp)
{
	const char *path = NULL, *p, *e;
	size_t n = 1, i = 0, dl, cl = strlen(cmd);
	char **v;

	if (strchr(cmd, '/')) {
		v = calloc(2, sizeof *v);
		if (!v || !(v[0] = strdup(cmd))) {
			free(v);
			return NULL;
		}
		return v;
	}
	for (i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	if (!path)
		path = LPROC_DEF_PATH;
	for (p = path; *p; p++)
		n += *p == ':';
	v = calloc(n + 1, sizeof *v);
	if (!v)
		return NULL;
	for (i = 0, p = path;; p = e + 1) {
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		dl = (size_t)(e - p);
		v[i] = malloc(dl + cl + 3);
		if (!v[i]) {
			lproc_strv_free(v);
			return NULL;
		}
		if (dl == 0)
			snprintf(v[i], dl + cl + 3, "./%s", cmd);
		else
			snprintf(v[i], dl + cl + 3, "%.*s/%s", (int)dl, p, cmd);
		i++;
		if (!*e)
			break;
	}
	return v;
}

static int lproc_open_out(const char *path, int *fd, char *err, size_t errlen)
{
	*fd = open(path ? path : "/dev/null",
	           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0640);
	if (*fd < 0 || (*fd = lproc_hi(*fd)) < 0) {
		snprintf(err, errlen, "%s: %s", path ? path : "/dev/null",
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* The child: async-signal-safe calls only from here on. */
static void lproc_child(const struct lproc_child *c)
    __attribute__((noreturn));
static void lproc_child(const struct lproc_child *c)
{
	struct sigaction sa;
	sigset_t none;
	int i, e = 0, saw_eacces = 0, wfd = c->ep;

	/* The agent's handlers are meaningless here: defaults. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		sigaction(i, &sa, NULL);
	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		e = errno;
		goto fail;
	}
	/* The agent died before the prctl: nothing will reap us. */
	if (getppid() != c->parent) {
		e = ESRCH;
		goto fail;
	}
	if (dup2(c->in, 0) < 0 || dup2(c->out, 1) < 0 || dup2(c->errf, 2) < 0) {
		e = errno;
		goto fail;
	}
	if (c->cwd && chdir(c->cwd) < 0) {
		e = errno;
		goto fail;
	}
	/* Keep the status pipe (as fd 3, close-on-exec), close the rest. */
	if (wfd != 3) {
		if (dup2(wfd, 3) < 0) {
			e = errno;
			goto fail;
		}
		wfd = 3;
	}
	fcntl(3, F_SETFD, FD_CLOEXEC);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0)
#endif
		for (i = 4; i < c->maxfd; i++)
			close(i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* execvp's rules: go on past files that are missing or not
	 * accessible, report EACCES if one was seen, else the last error. */
	for (i = 0; c->cands[i]; i++) {
		execve(c->cands[i], c->argv, c->envp);
		e = errno;
		if (e == EACCES)
			saw_eacces = 1;
		else if (e != ENOENT && e != ENOTDIR && e != ENAMETOOLONG &&
		         e != ELOOP)
			break;
	}
	if (saw_eacces && (e == ENOENT || e == ENOTDIR))
		e = EACCES;
fail:
	if (write(wfd, &e, sizeof e) < 0) {
		/* nothing more to do */
	}
	_exit(127);
}

int lproc_start(const struct lproc_spec *s, struct lproc **out, char *err,
                size_t errlen)
{
	struct lproc_child c;
	struct lproc *p = NULL;
	struct rlimit rl;
	struct stat st;
	sigset_t all, old;
	char **envp = NULL, **cands = NULL;
	int ep[2] = { -1, -1 }, in = -1, fout = -1, ferr = -1, e, rc = -1;
	ssize_t n;
	pid_t pid;

	*out = NULL;
	if (!s->argv || !s->argv[0] || !s->argv[0][0]) {
		snprintf(err, errlen, "no command to run");
		return -1;
	}
	if (s->cwd && stat(s->cwd, &st) < 0) {
		snprintf(err, errlen, "working directory %s: %s", s->cwd,
		         strerror(errno));
		return -1;
	}
	if (s->cwd && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "working directory %s: not a directory",
		         s->cwd);
		return -1;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p->pidfd = p->wake[0] = p->wake[1] = -1;
	pthread_mutex_init(&p->mu, NULL);
	p->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 0;
	p->grace_ms = s->kill_grace_ms > 0 ? s->kill_grace_ms : LPROC_GRACE_MS;

	envp = lproc_envp(s->env, err, errlen);
	if (!envp)
		goto out;
	cands = lproc_cands(s->argv[0], envp);
	if (!cands) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (lproc_open_out(s->stdout_path, &fout, err, errlen) < 0)
		goto out;
	if (s->stderr_path && s->stdout_path &&
	    strcmp(s->stderr_path, s->stdout_path) == 0) {
		ferr = fcntl(fout, F_DUPFD_CLOEXEC, 3);
		if (ferr < 0) {
			snprintf(err, errlen, "%s: %s", s->stderr_path,
			         strerror(errno));
			goto out;
		}
	} else if (lproc_open_out(s->stderr_path, &ferr, err, errlen) < 0) {
		goto out;
	}
	in = lproc_hi(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (in < 0) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		goto out;
	}
	if (pipe2(ep, O_CLOEXEC) < 0 || pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((ep[0] = lproc_hi(ep[0])) < 0 || (ep[1] = lproc_hi(ep[1])) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}

	c.argv = (char *const *)s->argv;
	c.envp = envp;
	c.cands = cands;
	c.cwd = s->cwd;
	c.in = in;
	c.out = fout;
	c.errf = ferr;
	c.ep = ep[1];
	c.parent = getpid();
	c.maxfd = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		c.maxfd = rl.rlim_cur > LPROC_MAX_CLOSE ? LPROC_MAX_CLOSE :
		                                          (int)rl.rlim_cur;

	/* No handler of the agent may run in the child before it resets
	 * them: block everything across the fork. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->start_ms = lproc_ms(CLOCK_REALTIME);
	p->start_mono = lproc_ms(CLOCK_MONOTONIC);
	pid = fork();
	if (pid == 0)
		lproc_child(&c);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(err, errlen, "fork for %s: %s", s->argv[0], strerror(e));
		goto out;
	}
	p->pid = pid;
	/* Also here, so that the group exists before anyone signals it. */
	setpgid(pid, pid);
	close(ep[1]);
	ep[1] = -1;
	do
		n = read(ep[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof e) {
		p->exec_failed = 1;
		p->exec_errno = e;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->reaped = 1;
	} else {
#ifdef SYS_pidfd_open
		p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0U);
#endif
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	if (in >= 0)
		close(in);
	if (fout >= 0)
		close(fout);
	if (ferr >= 0)
		close(ferr);
	lproc_strv_free(envp);
	lproc_strv_free(cands);
	if (p) {
		if (p->wake[0] >= 0)
			close(p->wake[0]);
		if (p->wake[1] >= 0)
			close(p->wake[1]);
		pthread_mutex_destroy(&p->mu);
		free(p);
	}
	return rc;
}

pid_t lproc_pid(const struct lproc *p)
{
	return p->pid;
}

/* The leader has exited (it stays a zombie: not reaped here). */
static int lproc_exited(struct lproc *p)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR; /* ECHILD: reaped elsewhere, give up */
	return si.si_pid != 0;
}

static void lproc_signal(struct lproc *p, int sig)
{
	pthread_mutex_lock(&p->mu);
	if (!p->reaped) {
		kill(-p->pid, sig);
		if (sig == SIGTERM && !p->term_sent) {
			p->term_sent = 1;
			p->term_mono = lproc_ms(CLOCK_MONOTONIC);
		}
	}
	pthread_mutex_unlock(&p->mu);
}

int lproc_wait(struct lproc *p, struct lproc_result *r)
{
	struct pollfd fds[2];
	int64_t now, until, deadline;
	int status = 0, abort_req, term_sent, killed = 0, nfds, tmo;
	pid_t reaped;
	int64_t term_mono;
	char buf[64];

	memset(r, 0, sizeof *r);
	if (p->waited) {
		errno = EINVAL;
		return -1;
	}
	p->waited = 1;
	r->start_ms = p->start_ms;
	if (p->exec_failed) {
		r->exec_errno = p->exec_errno;
		r->end_ms = lproc_ms(CLOCK_REALTIME);
		return 0;
	}
	r->started = 1;
	deadline = p->timeout_ms ? p->start_mono + p->timeout_ms : -1;
	while (!lproc_exited(p)) {
		now = lproc_ms(CLOCK_MONOTONIC);
		pthread_mutex_lock(&p->mu);
		abort_req = p->abort_req;
		term_sent = p->term_sent;
		term_mono = p->term_mono;
		pthread_mutex_unlock(&p->mu);
		if (abort_req && !r->timed_out)
			r->aborted = 1;
		if (!term_sent && deadline >= 0 && now >= deadline) {
			r->timed_out = 1;
			lproc_signal(p, SIGTERM);
			continue;
		}
		if (abort_req && !term_sent) {
			lproc_signal(p, SIGTERM);
			continue;
		}
		until = -1;
		if (term_sent && !killed) {
			if (now >= term_mono + p->grace_ms) {
				lproc_signal(p, SIGKILL);
				killed = 1;
				continue;
			}
			until = term_mono + p->grace_ms;
		} else if (!term_sent && deadline >= 0) {
			until = deadline;
		}
		tmo = until < 0 ? -1 :
		      until - now > INT_MAX ? INT_MAX : (int)(until - now);
		if (p->pidfd < 0 && (tmo < 0 || tmo > LPROC_POLL_MS))
			tmo = LPROC_POLL_MS;
		nfds = 0;
		fds[nfds].fd = p->wake[0];
		fds[nfds++].events = POLLIN;
		if (p->pidfd >= 0) {
			fds[nfds].fd = p->pidfd;
			fds[nfds++].events = POLLIN;
		}
		if (poll(fds, (nfds_t)nfds, tmo) > 0 && (fds[0].revents & POLLIN))
			while (read(p->wake[0], buf, sizeof buf) > 0)
				;
	}
	/* The leader is a zombie: end what it left in its group, then
	 * reap it. */
	pthread_mutex_lock(&p->mu);
	kill(-p->pid, SIGKILL);
	while ((reaped = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
		;
	p->reaped = 1;
	/* lproc_kill() signals by itself: the leader may be gone before
	 * the loop above saw the request. */
	if (p->abort_req && !r->timed_out)
		r->aborted = 1;
	pthread_mutex_unlock(&p->mu);
	r->end_ms = lproc_ms(CLOCK_REALTIME);
	/* Reaped by someone else (SIGCHLD ignored, a waitpid(-1) in the
	 * agent): how it ended is unknown, neither exited nor signal. */
	if (reaped != p->pid)
		return 0;
	if (WIFEXITED(status)) {
		r->exited = 1;
		r->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		r->signal = WTERMSIG(status);
	}
	return 0;
}

void lproc_kill(struct lproc *p)
{
	int first;

	pthread_mutex_lock(&p->mu);
	first = !p->abort_req && !p->reaped;
	if (first)
		p->abort_req = 1;
	pthread_mutex_unlock(&p->mu);
	if (!first)
		return;
	lproc_signal(p, SIGTERM);
	if (write(p->wake[1], "k", 1) < 0) {
		/* full: the waiter is woken already */
	}
}

void lproc_free(struct lproc *p)
{
	if (!p)
		return;
	if (!p->reaped) {
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int lproc_start_ticks(pid_t pid, unsigned long long *ticks)
{
	char path[64], buf[1024], *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		errno = ENOENT;
		return -1;
	}
	buf[n] = '\0';
	/* The command (field 2) may hold spaces and parentheses: count
	 * from the last ')'. */
	p = strrchr(buf, ')');
	if (!p) {
		errno = EINVAL;
		return -1;
	}
	p++;
	for (field = 2; field < 21; field++) {
		p = strchr(p + 1, ' ');
		if (!p) {
			errno = EINVAL;
			return -1;
		}
	}
	errno = 0;
	*ticks = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int lproc_kill_stale(pid_t pgid, unsigned long long start_ticks)
{
	unsigned long long now;

	if (pgid <= 1) {
		errno = EINVAL;
		return -1;
	}
	if (lproc_start_ticks(pgid, &now) == 0) {
		if (now != start_ticks)
			return 0; /* the pid was reused: not ours */
	} else if (errno != ENOENT && errno != ESRCH) {
		return -1;
	}
	if (kill(-pgid, SIGKILL) < 0)
		return errno == ESRCH ? 0 : -1;
	return 1;
}

/* ---- templating ----------------------------------------------------- */

struct lproc_sb {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_put(struct lproc_sb *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static int lproc_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* "\s*}}" at s: the end of the template, or NULL. */
static const char *lproc_close(const char *s)
{
	while (lproc_ws(*s))
		s++;
	return s[0] == '}' && s[1] == '}' ? s + 2 : NULL;
}

static int lproc_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* Flyte's perRetryUniqueKey clean-up. */
static void lproc_put_key(struct lproc_sb *b, const char *k)
{
	int run = 0;

	if (!k)
		return;
	if (*k && !lproc_alpha_(*k)) {
		sb_put(b, "a", 1);
		while (*k && !lproc_alpha_(*k))
			k++;
	}
	for (; *k; k++) {
		if (lproc_alpha_(*k) || (*k >= '0' && *k <= '9')) {
			sb_put(b, k, 1);
			run = 0;
		} else if (!run) {
			sb_put(b, "_", 1);
			run = 1;
		}
	}
}

enum { LT_INPUT, LT_INPUT_PREFIX, LT_OUTPUT_PREFIX, LT_RAW, LT_CKPT,
       LT_PREV_CKPT, LT_KEY, LT_TASK_TEMPLATE };

int lproc_render(const struct lproc_tmpl *t, const char *in, char **out,
                 char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int what;
	} names[] = {
		{ "Input", LT_INPUT },
		{ "InputPrefix", LT_INPUT_PREFIX },
		{ "OutputPrefix", LT_OUTPUT_PREFIX },
		{ "RawOutputDataPrefix", LT_RAW },
		{ "CheckpointOutputPrefix", LT_CKPT },
		{ "PrevCheckpointPrefix", LT_PREV_CKPT },
		{ "PerRetryUniqueKey", LT_KEY },
		{ "TaskTemplatePath", LT_TASK_TEMPLATE },
	};
	const Flyteidl__Core__LiteralMap *im = t->inputs;
	const Flyteidl__Core__Literal *l;
	struct lproc_sb b = { NULL, 0, 0, 0 };
	const char *s = in, *q, *end, *v;
	char *name = NULL, *text, lerr[256];
	size_t i, nl, k;

	*out = NULL;
	sb_put(&b, "", 0);
	while (*s) {
		if (s[0] != '{' || s[1] != '{') {
			q = strstr(s, "{{");
			nl = q ? (size_t)(q - s) : strlen(s);
			if (nl == 0)
				nl = 1;
			sb_put(&b, s, nl);
			s += nl;
			continue;
		}
		q = s + 2;
		while (lproc_ws(*q))
			q++;
		end = NULL;
		if (*q == '.' || *q == '$') {
			q++;
			for (i = 0; i < sizeof names / sizeof names[0]; i++) {
				nl = strlen(names[i].name);
				if (strncasecmp(q, names[i].name, nl) == 0 &&
				    (end = lproc_close(q + nl)))
					break;
			}
			if (end) {
				switch (names[i].what) {
				case LT_INPUT: v = t->input; break;
				case LT_INPUT_PREFIX: v = t->input_prefix; break;
				case LT_OUTPUT_PREFIX: v = t->output_prefix; break;
				case LT_RAW: v = t->raw_output_prefix; break;
				case LT_CKPT: v = t->checkpoint_prefix; break;
				case LT_PREV_CKPT:
					v = t->prev_checkpoint &&
					            *t->prev_checkpoint ?
					        t->prev_checkpoint : "\"\"";
					break;
				case LT_TASK_TEMPLATE:
					v = t->task_template_path;
					break;
				default: /* LT_KEY */
					v = NULL;
					lproc_put_key(&b, t->unique_key);
					break;
				}
				if (v)
					sb_put(&b, v, strlen(v));
				s = end;
				continue;
			}
			if (strncasecmp(q, "Inputs.", 7) == 0) {
				for (nl = 0; q[7 + nl] && q[7 + nl] != '}' &&
				             !lproc_ws(q[7 + nl]);
				     nl++)
					;
				end = nl ? lproc_close(q + 7 + nl) : NULL;
			}
			if (end && (!im || im->n_literals == 0)) {
				/* As Flyte: no inputs, the template stays. */
				sb_put(&b, s, (size_t)(end - s));
				s = end;
				continue;
			}
			if (end) {
				name = strndup(q + 7, nl);
				if (!name) {
					b.oom = 1;
					break;
				}
				l = lit_map_get(im, name);
				if (!l) {
					size_t w;

					w = (size_t)snprintf(err, errlen,
					    "input template %.*s: no input named "
					    "%s (inputs:", (int)(end - s), s,
					    name);
					for (k = 0; k < im->n_literals &&
					            w < errlen; k++)
						w += (size_t)snprintf(err + w,
						    errlen - w, "%s %s",
						    k ? "," : "",
						    im->literals[k]->key);
					if (w < errlen)
						snprintf(err + w, errlen - w, ")");
					goto fail;
				}
				text = lit_text_dup(l, lerr, sizeof lerr);
				if (!text) {
					snprintf(err, errlen,
					         "input template %.*s: input %s: %s",
					         (int)(end - s), s, name, lerr);
					goto fail;
				}
				sb_put(&b, text, strlen(text));
				free(text);
				free(name);
				name = NULL;
				s = end;
				continue;
			}
		}
		/* Not a template: the brace is text; look again one on. */
		sb_put(&b, s, 1);
		s++;
	}
	if (b.oom) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*out = b.p;
	return 0;
fail:
	free(name);
	free(b.p);
	return -1;
}
