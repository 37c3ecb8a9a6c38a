/*
 * fabench.c -- Keel's load generator and limit probes (bench/README.md).
 *
 * Every product cell (a method over one of keeld's doors at N closed-loop
 * clients) runs next to a limit probe of the same shape in this process:
 * limit, product, limit, product, ... for R rounds.  The ratio of the two
 * medians is the figure to steer by, because both halves saw the same
 * machine at about the same time (the VM's neighbours swing absolute
 * numbers by several times).  Output: one JSON line per cell on stdout,
 * then an aligned table.  registry.c adds populate and the registry cells
 * (fabench.h is what they share).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <grpc/grpc.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <protobuf-c/protobuf-c.h>

#include <keel/keel_client.h>
#ifdef FABENCH_SQLITE
#include <sqlite3.h>
#endif

#include "dbprobe.h"
#include "drivers.h"
#include "fabench.h"
#include "flyteidl/admin/project.pb-c.h"
#include "flyteidl/admin/version.pb-c.h"
#include "hist.h"
#include "pbjson.h"
#include "probes.h"

#define M_GET_VERSION     "/flyteidl.service.AdminService/GetVersion"
#define M_GET_PROJECT     "/flyteidl.service.AdminService/GetProject"
#define M_REGISTER        "/flyteidl.service.AdminService/RegisterProject"
/* ---- small helpers ---------------------------------------------------- */

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts a copy. */
double median(const double *v, unsigned n)
{
	double s[MAX_ROUNDS];

	if (n == 0)
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double proc_cpu_us(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count
	 * from the last ')'; utime and stime are fields 14 and 15. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 1,
	           " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1e6 / (double)sysconf(_SC_CLK_TCK);
}

/* Fields of /proc/PID/stat after the command: state is the first, so
 * ppid is [1], utime [11] ... cstime [14]; 0, or -1 when pid is gone. */
static int proc_stat(long pid, long long f[15])
{
	char path[64], buf[1024], *p;
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1,
	           " %*c %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld "
	           "%lld %lld %lld %lld",
	           &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8],
	           &f[9], &f[10], &f[11], &f[12], &f[13], &f[14]) != 14)
		return -1;
	return 0;
}

/*
 * pid's own CPU, its reaped children's (cutime + cstime: a backend that
 * exited, as autovacuum workers do), and its live children's, so the sum
 * only grows while the server runs.
 */
double proc_tree_cpu_us(long pid)
{
	double tick = (double)sysconf(_SC_CLK_TCK), sum;
	long long f[15], c[15];
	struct dirent *de;
	DIR *d;

	if (pid <= 0 || proc_stat(pid, f) != 0)
		return -1;
	sum = (double)(f[11] + f[12] + f[13] + f[14]);
	if ((d = opendir("/proc")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *end;
			long child = strtol(de->d_name, &end, 10);
			if (*end != '\0' || child <= 0 || child == pid ||
			    proc_stat(child, c) != 0 || c[1] != pid)
				continue;
			sum += (double)(c[11] + c[12]);
		}
		closedir(d);
	}
	return sum * 1e6 / tick;
}

/* ---- JSON output -------------------------------------------------------- */

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_kstr(FILE *f, const char *k, const char *v)
{
	fprintf(f, ",\"%s\":", k);
	if (v == NULL)
		fputs("null", f);
	else
		json_str(f, v);
}

void json_knum(FILE *f, const char *k, double v, int decimals)
{
	if (isnan(v) || isinf(v))
		fprintf(f, ",\"%s\":null", k);
	else
		fprintf(f, ",\"%s\":%.*f", k, decimals, v);
}

/* ---- one round: N closed-loop clients -------------------------------- */

enum { PH_WARM, PH_MEASURE, PH_STOP };

struct runner;

struct worker {
	pthread_t th;
	struct runner *r;
	struct hist h;
	uint64_t ops, errors;
	int failed;
	char err[ERRLEN];
};

struct runner {
	const struct driver *d;
	const struct target *t;
	/* Clients connect first, then start together on "go". */
	pthread_mutex_t lock;
	pthread_cond_t cv;
	unsigned ready;
	int go;
	atomic_int phase;
	atomic_uint done;
	atomic_uint measured; /* clients with at least one measured op */
	uint64_t per_worker_max;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct runner *r = w->r;
	void *st;
	uint64_t t0;
	int ph, rc;

	st = r->d->open(r->t, w->err, sizeof(w->err));
	/* One request before the clock starts: proves the target answers
	 * and gets the connection made. */
	if (st == NULL || r->d->op(st, r->t, w->err, sizeof(w->err)) != 0)
		w->failed = 1;
	pthread_mutex_lock(&r->lock);
	r->ready++;
	pthread_cond_broadcast(&r->cv);
	while (!r->go)
		pthread_cond_wait(&r->cv, &r->lock);
	pthread_mutex_unlock(&r->lock);
	while (!w->failed && (ph = atomic_load(&r->phase)) != PH_STOP) {
		t0 = now_ns();
		rc = r->d->op(st, r->t, w->err, sizeof(w->err));
		if (rc != 0) {
			w->errors++;
			w->failed = 1;
			break;
		}
		if (ph == PH_MEASURE) {
			hist_record(&w->h, now_ns() - t0);
			if (++w->ops == 1)
				atomic_fetch_add(&r->measured, 1);
			if (w->ops >= r->per_worker_max)
				break;
		}
	}
	if (st != NULL)
		r->d->close(st);
	atomic_fetch_add(&r->done, 1);
	return NULL;
}

/* Fails when no client could start, or one failed a request. */
int run_round(const struct driver *d, const struct target *t,
              unsigned clients, const struct opts *o, long pid,
              struct round_res *res)
{
	struct runner r = {.d = d, .t = t};
	struct worker *w;
	double t0, t1, c0, c1, d0 = -1, d1 = -1;
	unsigned i, started = 0;
	int rc = 0, init_failed = 0;

	memset(res, 0, sizeof(*res));
	res->cpu_us = res->db_cpu_us = -1;
	w = calloc(clients, sizeof(*w));
	if (w == NULL) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return -1;
	}
	r.per_worker_max = o->max_ops / clients ? o->max_ops / clients : 1;
	atomic_init(&r.phase, PH_WARM);
	atomic_init(&r.done, 0);
	atomic_init(&r.measured, 0);
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (i = 0; i < clients; i++) {
		w[i].r = &r;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
			snprintf(res->err, sizeof(res->err),
			         "cannot start client thread %u", i);
			rc = -1;
			break;
		}
		started++;
	}
	pthread_mutex_lock(&r.lock);
	while (r.ready < started)
		pthread_cond_wait(&r.cv, &r.lock);
	for (i = 0; i < started; i++)
		init_failed |= w[i].failed;
	if (rc != 0 || init_failed)
		atomic_store(&r.phase, PH_STOP);
	r.go = 1;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.lock);
	if (rc == 0 && !init_failed) {
		sleep_s(o->warmup);
		if (o->db_pid > 0)
			d0 = proc_tree_cpu_us(o->db_pid);
		c0 = proc_cpu_us(pid);
		t0 = now_s();
		atomic_store(&r.phase, PH_MEASURE);
		/* The window, stretched (by up to 10 s) until every client
		 * has one measured op: on a starved machine a short window
		 * can otherwise end with a client that never ran. */
		while (atomic_load(&r.done) < started &&
		       (now_s() - t0 < o->secs ||
		        (atomic_load(&r.measured) < started &&
		         now_s() - t0 < o->secs + 10)))
			sleep_s(0.005);
		atomic_store(&r.phase, PH_STOP);
		t1 = now_s();
		c1 = proc_cpu_us(pid);
		if (o->db_pid > 0)
			d1 = proc_tree_cpu_us(o->db_pid);
		res->secs = t1 - t0;
		if (c0 >= 0 && c1 >= 0)
			res->cpu_us = c1 - c0;
		/* Backends that came or went in the window make it a guess
		 * (the pooled connections stay, the probe's are opened before
		 * the clock starts); a negative one is no figure. */
		if (d0 >= 0 && d1 >= d0)
			res->db_cpu_us = d1 - d0;
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		hist_merge(&res->h, &w[i].h);
		res->ops += w[i].ops;
		res->errors += w[i].errors;
		if (w[i].failed && res->err[0] == '\0') {
			snprintf(res->err, sizeof(res->err), "client %u: %s", i,
			         w[i].err);
			rc = -1;
		}
	}
	pthread_mutex_destroy(&r.lock);
	pthread_cond_destroy(&r.cv);
	free(w);
	res->ops_per_s = res->secs > 0 ? (double)res->ops / res->secs : 0;
	res->p50_us = (double)hist_quantile(&res->h, 0.5) / 1000.0;
	return rc;
}

/* ---- cells ------------------------------------------------------------ */

struct cell cells[MAX_CELLS];
unsigned ncells;

struct cell *cell_new(const char *workload, const char *transport,
                      unsigned clients)
{
	struct cell *c;

	if (ncells == MAX_CELLS)
		return NULL;
	c = &cells[ncells++];
	memset(c, 0, sizeof(*c));
	c->workload = workload;
	c->transport = transport;
	c->clients = clients;
	c->cpu_us_per_op = c->limit_value = c->limit_p50_us = NAN;
	c->limit_ops_per_s = c->ratio = c->ratio_min = c->ratio_max = NAN;
	c->ops_per_s = c->p50_us = c->p90_us = c->p99_us = c->p999_us = NAN;
	c->floor_diff_us = c->door_p50_us = c->server_diff_us = NAN;
	c->p99_ratio = NAN;
	c->db_cpu_us_per_op = c->limit_db_cpu_us_per_op = NAN;
	c->select_p99_us = c->rtt_p50_us = c->rtt_p99_us = NAN;
	c->pass = -1;
	return c;
}

void cell_print_json(FILE *f, const struct cell *c)
{
	fputs("{\"record\":\"cell\"", f);
	json_kstr(f, "workload", c->workload);
	json_kstr(f, "transport", c->transport);
	fprintf(f, ",\"clients\":%u", c->clients);
	if (c->compare != NULL) {
		json_kstr(f, "compare", c->compare);
		fprintf(f, ",\"rows\":%llu", (unsigned long long)c->rows);
		if (c->limit_rows > 0)
			fprintf(f, ",\"limit_rows\":%llu",
			        (unsigned long long)c->limit_rows);
	}
	if (c->skipped != NULL) {
		json_kstr(f, "skipped", c->skipped);
		fputs("}\n", f);
		return;
	}
	fprintf(f, ",\"ops\":%llu", (unsigned long long)c->ops);
	json_knum(f, "secs", c->secs, 3);
	json_knum(f, "ops_per_s", c->ops_per_s, 1);
	json_knum(f, "p50_us", c->p50_us, 2);
	json_knum(f, "p90_us", c->p90_us, 2);
	json_knum(f, "p99_us", c->p99_us, 2);
	json_knum(f, "p999_us", c->p999_us, 2);
	json_knum(f, "server_cpu_us_per_op", c->cpu_us_per_op, 2);
	if (!isnan(c->db_cpu_us_per_op))
		json_knum(f, "db_cpu_us_per_op", c->db_cpu_us_per_op, 2);
	if (c->limit != NULL && c->limit_metric != NULL) {
		char name[64];
		snprintf(name, sizeof(name), "%s.%s", c->limit,
		         c->limit_metric);
		json_kstr(f, "limit_name", name);
	} else {
		json_kstr(f, "limit_name", c->limit);
	}
	json_knum(f, "limit_value", c->limit_value, 2);
	json_knum(f, "limit_p50_us", c->limit_p50_us, 2);
	json_knum(f, "limit_ops_per_s", c->limit_ops_per_s, 1);
	if (!isnan(c->limit_db_cpu_us_per_op))
		json_knum(f, "limit_db_cpu_us_per_op",
		          c->limit_db_cpu_us_per_op, 2);
	if (c->rtt_limit != NULL) {
		json_knum(f, "select_p99_us", c->select_p99_us, 2);
		json_kstr(f, "rtt_limit", c->rtt_limit);
		json_knum(f, "rtt_p50_us", c->rtt_p50_us, 2);
		json_knum(f, "rtt_p99_us", c->rtt_p99_us, 2);
	}
	json_knum(f, "ratio", c->ratio, 4);
	if (c->compare != NULL && strcmp(c->compare, "floor") == 0) {
		json_knum(f, "floor_diff_us", c->floor_diff_us, 2);
		json_knum(f, "door_p50_us", c->door_p50_us, 2);
		json_knum(f, "server_diff_us", c->server_diff_us, 2);
		json_kstr(f, "floor_sql", c->floor_sql);
		fprintf(f, ",\"floor_stmts\":%u", c->floor_stmts);
	}
	if (!isnan(c->p99_ratio))
		json_knum(f, "p99_ratio", c->p99_ratio, 4);
	json_kstr(f, "goal", c->goal);
	if (c->goal_on != NULL)
		json_kstr(f, "goal_on", c->goal_on);
	if (c->pass < 0)
		fputs(",\"pass\":null", f);
	else
		fprintf(f, ",\"pass\":%s", c->pass ? "true" : "false");
	fprintf(f, ",\"rounds\":%u", c->rounds);
	json_knum(f, "ratio_min", c->ratio_min, 4);
	json_knum(f, "ratio_max", c->ratio_max, 4);
	if (c->note != NULL)
		json_kstr(f, "note", c->note);
	if (c->error[0])
		json_kstr(f, "error", c->error);
	fputs("}\n", f);
	fflush(f);
}

static void fmt_num(char *buf, size_t len, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.*f", decimals, v);
}

void cell_format(const struct cell *c, struct cell_txt *t)
{
	fmt_num(t->ops, sizeof(t->ops), c->ops_per_s, 0);
	fmt_num(t->p50, sizeof(t->p50), c->p50_us, 1);
	fmt_num(t->p99, sizeof(t->p99), c->p99_us, 1);
	fmt_num(t->cpu, sizeof(t->cpu), c->cpu_us_per_op, 1);
	fmt_num(t->limit, sizeof(t->limit), c->limit_value, 1);
	fmt_num(t->ratio, sizeof(t->ratio), c->ratio, 3);
	fmt_num(t->diff, sizeof(t->diff), c->floor_diff_us, 1);
	if (isnan(c->ratio_min))
		snprintf(t->range, sizeof(t->range), "-");
	else
		snprintf(t->range, sizeof(t->range), "[%.3f..%.3f]",
		         c->ratio_min, c->ratio_max);
	t->goal = c->goal ? c->goal : "-";
	t->pass = c->pass < 0 ? "-" : c->pass ? "yes" : "NO";
}

static void print_table(FILE *f)
{
	struct cell_txt t;

	fprintf(f,
	        "\n%-12s %-10s %3s %10s %9s %9s %9s  %-28s %10s %8s "
	        "%-17s %-6s %s\n",
	        "transport", "workload", "c", "ops/s", "p50_us", "p99_us",
	        "srv_us/op", "limit", "limit", "ratio", "[min..max]", "goal",
	        "pass");
	for (unsigned i = 0; i < ncells; i++) {
		const struct cell *c = &cells[i];
		char lname[64] = "-";
		if (c->skipped != NULL) {
			fprintf(f, "%-12s %-10s %3u  skipped: %s\n",
			        c->transport, c->workload, c->clients,
			        c->skipped);
			continue;
		}
		if (c->limit != NULL)
			snprintf(lname, sizeof(lname), "%s %s", c->limit,
			         c->limit_metric ? c->limit_metric : "");
		cell_format(c, &t);
		fprintf(f,
		        "%-12s %-10s %3u %10s %9s %9s %9s  %-28s %10s %8s "
		        "%-17s %-6s %s\n",
		        c->transport, c->workload, c->clients, t.ops, t.p50,
		        t.p99, t.cpu, lname, t.limit, t.ratio, t.range, t.goal,
		        t.pass);
		if (c->error[0])
			fprintf(f, "%-12s   error: %s\n", "", c->error);
	}
	fputs("\nratio: product cells at c=1 compare p50 latency (product / "
	      "limit, lower is\nbetter), at c>1 throughput (product / limit, "
	      "higher is better); codec and\njson-share cells give a share of "
	      "keeld's CPU per request (lower is better).\n",
	      f);
}

/* ---- the limit probes and their targets -------------------------------- */

struct env {
	const struct opts *o;
	unsigned max_clients;
	/* limit probes, started on first use */
	struct probe_tcp *tcp_echo, *http_static;
	struct probe_nng *nng_echo;
	struct target t_tcp_echo, t_http_static, t_nng_echo;
	int echo_sock_open;
	/* keeld */
	struct keel_client *kc;
	uint8_t *get_project_req;
	size_t get_project_len;
	char http_project_path[160];
};

static const uint8_t empty_req[1];

/* Start a limit probe (once) and return its target, or NULL with err. */
static const struct target *probe_target(struct env *e, const char *name,
                                         const struct driver **d, char *err,
                                         size_t errlen)
{
	int rv;

	if (strcmp(name, "raw-pingpong") == 0) {
		*d = &driver_tcp_echo;
		if (e->tcp_echo == NULL) {
			if (probe_tcp_echo_start(e->o->msg_size, &e->tcp_echo,
			                         &e->t_tcp_echo.port, err,
			                         errlen) != 0)
				return NULL;
			snprintf(e->t_tcp_echo.host, sizeof(e->t_tcp_echo.host),
			         "127.0.0.1");
			e->t_tcp_echo.msg_size = e->o->msg_size;
		}
		return &e->t_tcp_echo;
	}
	if (strcmp(name, "http-static") == 0) {
		*d = &driver_http;
		if (e->http_static == NULL) {
			if (probe_http_static_start(&e->http_static,
			                            &e->t_http_static.port, err,
			                            errlen) != 0)
				return NULL;
			snprintf(e->t_http_static.host,
			         sizeof(e->t_http_static.host), "127.0.0.1");
			e->t_http_static.http_path = "/";
			e->t_http_static.accept = "*/*";
		}
		return &e->t_http_static;
	}
	if (strcmp(name, "nng-echo") == 0) {
		struct target *t = &e->t_nng_echo;
		*d = &driver_nng_echo;
		if (e->nng_echo == NULL) {
			if (probe_nng_echo_start(e->max_clients, &e->nng_echo,
			                         t->url, sizeof(t->url), err,
			                         errlen) != 0)
				return NULL;
			t->msg_size = e->o->msg_size;
			t->nng_sockets = e->o->nng_sockets;
			if (!t->nng_sockets) {
				if ((rv = nng_req0_open(&t->echo_sock)) != 0 ||
				    (e->echo_sock_open = 1,
				     rv = nng_dial(t->echo_sock, t->url, NULL,
				                   0)) != 0) {
					snprintf(err, errlen, "nng echo %s: %s",
					         t->url, nng_strerror(rv));
					return NULL;
				}
			}
		}
		return t;
	}
	snprintf(err, errlen, "unknown probe '%s'", name);
	return NULL;
}

static void env_stop(struct env *e)
{
	if (e->echo_sock_open)
		nng_close(e->t_nng_echo.echo_sock);
	probe_nng_echo_stop(e->nng_echo);
	probe_tcp_stop(e->tcp_echo);
	probe_tcp_stop(e->http_static);
	keel_client_close(e->kc);
	free(e->get_project_req);
}

int split_hostport(const char *s, struct target *t, char *err,
                   size_t errlen)
{
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (colon == NULL || colon == s || atoi(colon + 1) <= 0) {
		snprintf(err, errlen, "want HOST:PORT, got '%s'", s);
		return -1;
	}
	hl = (size_t)(colon - s);
	if (hl >= sizeof(t->host))
		hl = sizeof(t->host) - 1;
	memcpy(t->host, s, hl);
	t->host[hl] = '\0';
	t->port = atoi(colon + 1);
	return 0;
}

/* The target of a product workload: 0, or -1 with err. */
static int product_target(struct env *e, const char *transport,
                          const char *workload, struct target *t,
                          const struct driver **d, char *err, size_t errlen)
{
	const struct opts *o = e->o;
	int project = strcmp(workload, "GetProject") == 0;

	memset(t, 0, sizeof(*t));
	t->method = project ? M_GET_PROJECT : M_GET_VERSION;
	t->req = project ? e->get_project_req : empty_req;
	t->req_len = project ? e->get_project_len : 0;
	t->http_path = project ? e->http_project_path : "/api/v1/version";
	/* grpc-gateway's rule, which keeld follows: octet-stream gets the
	 * protobuf bytes, anything else JSON. */
	t->accept = strcmp(transport, "http-json") == 0
	                ? "application/json"
	                : "application/octet-stream";
	if (strcmp(transport, "nng") == 0) {
		*d = &driver_nng;
		if (o->nng_url == NULL)
			goto missing;
		snprintf(t->url, sizeof(t->url), "%s", o->nng_url);
		t->shared = e->kc;
		t->nng_sockets = o->nng_sockets;
		return 0;
	}
	if (strcmp(transport, "grpc") == 0) {
		*d = &driver_grpc;
		if (o->grpc_addr == NULL)
			goto missing;
		return split_hostport(o->grpc_addr, t, err, errlen);
	}
	if (strncmp(transport, "http", 4) == 0) {
		*d = &driver_http;
		if (o->http_addr == NULL)
			goto missing;
		return split_hostport(o->http_addr, t, err, errlen);
	}
	snprintf(err, errlen, "unknown transport '%s'", transport);
	return -1;
missing:
	snprintf(err, errlen, "no --%s endpoint given", transport);
	return -1;
}

static double metric(const struct cell *c, const struct round_res *r)
{
	return c->latency ? r->p50_us : r->ops_per_s;
}

/*
 * Run cell c: R rounds of limit then product.  The product's p90/p99/
 * p999 come from all its rounds' samples together; ops/s and p50 are
 * medians over rounds, like the limit's, so the ratio compares like with
 * like.
 */
static void run_cell(struct env *e, struct cell *c, const struct driver *pd,
                     const struct target *pt)
{
	const struct opts *o = e->o;
	const struct driver *ld = NULL;
	const struct target *lt = NULL;
	double p_ops[MAX_ROUNDS], p_p50[MAX_ROUNDS], l_ops[MAX_ROUNDS];
	double l_p50[MAX_ROUNDS], ratios[MAX_ROUNDS];
	double cpu = 0, cpu_ops = 0, pm, lm;
	struct round_res *res = NULL;
	struct hist *all = NULL;
	unsigned r, n = 0;
	int cpu_ok = o->server_pid > 0;

	res = malloc(sizeof(*res));
	all = calloc(1, sizeof(*all));
	if (res == NULL || all == NULL) {
		snprintf(c->error, sizeof(c->error), "out of memory");
		goto out;
	}
	if (c->limit != NULL) {
		lt = probe_target(e, c->limit, &ld, c->error, sizeof(c->error));
		if (lt == NULL)
			goto out;
	}
	fprintf(stderr, "fabench: %s %s c=%u ...\n", c->transport, c->workload,
	        c->clients);
	for (r = 0; r < o->rounds; r++) {
		if (lt != NULL) {
			if (run_round(ld, lt, c->clients, o, 0, res) != 0) {
				snprintf(c->error, sizeof(c->error),
				         "limit %s: %s", c->limit, res->err);
				break;
			}
			l_ops[n] = res->ops_per_s;
			l_p50[n] = res->p50_us;
		}
		if (run_round(pd, pt, c->clients, o, o->server_pid, res) != 0) {
			snprintf(c->error, sizeof(c->error), "%s", res->err);
			break;
		}
		p_ops[n] = res->ops_per_s;
		p_p50[n] = res->p50_us;
		hist_merge(all, &res->h);
		c->ops += res->ops;
		c->secs += res->secs;
		if (res->cpu_us >= 0) {
			cpu += res->cpu_us;
			cpu_ops += (double)res->ops;
		} else {
			cpu_ok = 0;
		}
		if (lt != NULL) {
			lm = c->latency ? l_p50[n] : l_ops[n];
			pm = metric(c, res);
			ratios[n] = lm > 0 ? pm / lm : NAN;
		}
		n++;
	}
	c->rounds = n;
	if (n == 0)
		goto out;
	c->ops_per_s = median(p_ops, n);
	c->p50_us = median(p_p50, n);
	c->p90_us = (double)hist_quantile(all, 0.90) / 1000.0;
	c->p99_us = (double)hist_quantile(all, 0.99) / 1000.0;
	c->p999_us = (double)hist_quantile(all, 0.999) / 1000.0;
	if (cpu_ok && cpu_ops > 0)
		c->cpu_us_per_op = cpu / cpu_ops;
	if (lt != NULL) {
		c->limit_p50_us = median(l_p50, n);
		c->limit_ops_per_s = median(l_ops, n);
		c->limit_value =
		    c->latency ? c->limit_p50_us : c->limit_ops_per_s;
		pm = c->latency ? c->p50_us : c->ops_per_s;
		c->ratio = c->limit_value > 0 ? pm / c->limit_value : NAN;
		c->ratio_min = c->ratio_max = ratios[0];
		for (r = 1; r < n; r++) {
			if (ratios[r] < c->ratio_min)
				c->ratio_min = ratios[r];
			if (ratios[r] > c->ratio_max)
				c->ratio_max = ratios[r];
		}
		if (c->goal != NULL && !isnan(c->ratio) && !c->error[0])
			c->pass = c->goal[0] == '<' ? c->ratio <= c->goal_value
			                            : c->ratio >= c->goal_value;
	}
out:
	free(res);
	free(all);
}

/* ---- keeld set-up: requests, the shared nng client, registration ------- */

static int env_init_requests(struct env *e, char *err, size_t errlen)
{
	Flyteidl__Admin__ProjectGetRequest req =
	    FLYTEIDL__ADMIN__PROJECT_GET_REQUEST__INIT;

	req.id = (char *)e->o->project;
	e->get_project_len =
	    flyteidl__admin__project_get_request__get_packed_size(&req);
	e->get_project_req = malloc(e->get_project_len + 1);
	if (e->get_project_req == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	flyteidl__admin__project_get_request__pack(&req, e->get_project_req);
	snprintf(e->http_project_path, sizeof(e->http_project_path),
	         "/api/v1/projects/%s", e->o->project);
	if (e->o->nng_url != NULL &&
	    keel_client_open(e->o->nng_url, &e->kc, err, errlen) != 0)
		return -1;
	return 0;
}

static int cmd_register(const struct opts *o)
{
	Flyteidl__Admin__ProjectRegisterRequest req =
	    FLYTEIDL__ADMIN__PROJECT_REGISTER_REQUEST__INIT;
	Flyteidl__Admin__Project p = FLYTEIDL__ADMIN__PROJECT__INIT;
	struct keel_client_call_opts co = {.timeout_ms = 10000};
	struct keel_client_reply r;
	struct keel_client *kc = NULL;
	char err[ERRLEN];
	uint8_t *buf;
	size_t len;
	int rc;

	if (o->nng_url == NULL) {
		fprintf(stderr, "fabench: register needs --nng URL\n");
		return 64;
	}
	p.id = (char *)o->project;
	p.name = (char *)o->project;
	p.description = (char *)"fabench";
	req.project = &p;
	len = flyteidl__admin__project_register_request__get_packed_size(&req);
	if ((buf = malloc(len)) == NULL)
		return 70;
	flyteidl__admin__project_register_request__pack(&req, buf);
	if (keel_client_open(o->nng_url, &kc, err, sizeof(err)) != 0) {
		fprintf(stderr, "fabench: %s\n", err);
		free(buf);
		return 69;
	}
	rc = keel_client_call(kc, M_REGISTER, buf, len, &co, &r);
	/* 6 = ALREADY_EXISTS: a re-used data directory is fine. */
	if (rc != 0 && rc != 6)
		fprintf(stderr, "fabench: RegisterProject %s: %s: %s\n",
		        o->project, keel_client_code_name(rc), r.message);
	keel_client_reply_free(&r);
	keel_client_close(kc);
	free(buf);
	return rc == 0 || rc == 6 ? 0 : 69;
}

/* ---- pb-codec: the protobuf share of a request ------------------------- */

struct codec_job {
	int json;
	const ProtobufCMessageDescriptor *req_desc, *resp_desc;
	const uint8_t *req;
	size_t req_len;
	ProtobufCMessage *resp; /* unpacked once, encoded per op */
	uint8_t *buf;
	char err[ERRLEN];
};

/* pb: what keeld's codec does per request: unpack the request, pack the
 * response.  json: encode the response as JSON and decode it back (a GET
 * has no JSON body, so this is the upper bound of the REST door's JSON
 * work for a response of this size). */
static int codec_op(struct codec_job *j)
{
	ProtobufCMessage *m;
	size_t len;
	char *txt;

	if (j->json) {
		txt = pbjson_encode(j->resp, NULL, &len);
		if (txt == NULL) {
			snprintf(j->err, sizeof(j->err), "pbjson_encode: %s",
			         strerror(errno));
			return -1;
		}
		if (pbjson_decode(j->resp_desc, txt, len, NULL, NULL, &m,
		                  j->err, sizeof(j->err)) != 0) {
			free(txt);
			return -1;
		}
		free(txt);
		protobuf_c_message_free_unpacked(m, NULL);
		return 0;
	}
	m = protobuf_c_message_unpack(j->req_desc, NULL, j->req_len, j->req);
	if (m == NULL) {
		snprintf(j->err, sizeof(j->err), "cannot decode the request");
		return -1;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	protobuf_c_message_pack(j->resp, j->buf);
	return 0;
}

static const struct cell *find_cell(const char *transport, const char *workload,
                                    unsigned clients)
{
	for (unsigned i = 0; i < ncells; i++)
		if (strcmp(cells[i].transport, transport) == 0 &&
		    strcmp(cells[i].workload, workload) == 0 &&
		    cells[i].clients == clients && cells[i].skipped == NULL &&
		    cells[i].error[0] == '\0')
			return &cells[i];
	return NULL;
}

/* Set c's ratio to its cost (us) over CPU us/op of the product cell g,
 * against the 5% goal (performance-limits.md G11). */
static void cpu_share(struct cell *c, double us, const struct cell *g,
                      const char *metric)
{
	c->limit = g ? g->transport : NULL;
	c->limit_metric = metric;
	c->goal = "<=0.05";
	c->goal_value = 0.05;
	if (g == NULL || isnan(g->cpu_us_per_op) || g->cpu_us_per_op <= 0 ||
	    isnan(us))
		return;
	c->limit_value = g->cpu_us_per_op;
	c->ratio = us / g->cpu_us_per_op;
	c->ratio_min = c->ratio_max = c->ratio;
	c->pass = c->ratio <= c->goal_value;
}

/*
 * A codec cell (pb-codec or json-codec) for workload: the codec's work on
 * a real response, timed in this process, as a share of the server CPU
 * per request of the matching door at one client (gRPC for protobuf,
 * REST with JSON for JSON).
 */
static void run_codec_cell(struct env *e, const char *workload, int json)
{
	const struct opts *o = e->o;
	int project = strcmp(workload, "GetProject") == 0;
	struct codec_job j = {.json = json};
	struct keel_client_reply r = {0};
	struct keel_client_call_opts co = {.timeout_ms = 10000};
	struct cell *c;
	struct hist *h = NULL;
	double t0;
	uint64_t s0;
	int rc;

	c = cell_new(workload, json ? "json-codec" : "pb-codec", 1);
	if (c == NULL)
		return;
	if (e->kc == NULL) {
		c->skipped = "needs --nng to fetch a real response";
		return;
	}
	j.req_desc = project
	                 ? &flyteidl__admin__project_get_request__descriptor
	                 : &flyteidl__admin__get_version_request__descriptor;
	j.resp_desc = project
	                  ? &flyteidl__admin__project__descriptor
	                  : &flyteidl__admin__get_version_response__descriptor;
	j.req = project ? e->get_project_req : empty_req;
	j.req_len = project ? e->get_project_len : 0;
	rc = keel_client_call(e->kc, project ? M_GET_PROJECT : M_GET_VERSION,
	                      j.req, j.req_len, &co, &r);
	if (rc != 0) {
		snprintf(c->error, sizeof(c->error), "%s: %s: %s", workload,
		         keel_client_code_name(rc), r.message);
		goto out;
	}
	j.resp = protobuf_c_message_unpack(j.resp_desc, NULL, r.payload_len,
	                                   r.payload);
	j.buf = malloc(r.payload_len + 1);
	h = calloc(1, sizeof(*h));
	if (j.resp == NULL || j.buf == NULL || h == NULL) {
		snprintf(c->error, sizeof(c->error),
		         "cannot decode the %s response", workload);
		goto out;
	}
	t0 = now_s();
	while (now_s() - t0 < o->secs && c->ops < o->max_ops) {
		s0 = now_ns();
		if (codec_op(&j) != 0) {
			snprintf(c->error, sizeof(c->error), "%s", j.err);
			break;
		}
		hist_record(h, now_ns() - s0);
		c->ops++;
	}
	c->secs = now_s() - t0;
	c->rounds = 1;
	if (c->ops == 0)
		goto out;
	c->ops_per_s = (double)c->ops / c->secs;
	c->p50_us = (double)hist_quantile(h, 0.5) / 1000.0;
	c->p90_us = (double)hist_quantile(h, 0.9) / 1000.0;
	c->p99_us = (double)hist_quantile(h, 0.99) / 1000.0;
	c->p999_us = (double)hist_quantile(h, 0.999) / 1000.0;
	/* The mean, not the p50: CPU per op is a mean too. */
	cpu_share(c, c->secs * 1e6 / (double)c->ops,
	          find_cell(json ? "http-json" : "grpc", workload, 1),
	          "server_cpu_us_per_op");
out:
	if (j.resp != NULL)
		protobuf_c_message_free_unpacked(j.resp, NULL);
	free(j.buf);
	free(h);
	keel_client_reply_free(&r);
}

/* json-share: the JSON path's extra server CPU, measured rather than
 * estimated: (http-json - http) / http-json, per request. */
static void json_share_cell(const char *workload, unsigned clients)
{
	const struct cell *bin = find_cell("http", workload, clients);
	const struct cell *js = find_cell("http-json", workload, clients);
	struct cell *c = cell_new(workload, "json-share", clients);

	if (c == NULL)
		return;
	if (bin == NULL || js == NULL) {
		c->skipped = "needs the http and http-json cells";
		return;
	}
	c->rounds = js->rounds;
	cpu_share(c,
	          isnan(bin->cpu_us_per_op)
	              ? NAN
	              : js->cpu_us_per_op - bin->cpu_us_per_op,
	          js, "server_cpu_us_per_op");
	/* Two cells run minutes apart: on a busy machine the difference can
	 * even come out negative.  A reading, not a verdict; json-codec
	 * carries the goal. */
	c->goal = NULL;
	c->pass = -1;
}

/* ---- commands ------------------------------------------------------------ */

static void cell_goal(struct cell *c)
{
	c->latency = c->clients == 1;
	c->limit_metric = c->latency ? "p50_us" : "ops_per_s";
	/* performance-limits.md Part 3: G5 (nng), G6 (gRPC), G7 (REST). */
	if (c->clients == 1) {
		if (strcmp(c->transport, "nng") == 0)
			c->goal = "<=1.5", c->goal_value = 1.5;
		else
			c->goal = "<=5", c->goal_value = 5;
	} else if (c->clients == 16 && strncmp(c->transport, "http", 4) == 0) {
		c->goal = ">=0.2", c->goal_value = 0.2;
	}
}

static const char *limit_for(const char *transport)
{
	if (strcmp(transport, "nng") == 0)
		return "nng-echo";
	if (strcmp(transport, "grpc") == 0)
		return "raw-pingpong";
	return "http-static";
}

static int cmd_suite(struct env *e)
{
	static const char *const transports[] = {"nng", "grpc", "http",
	                                         "http-json"};
	static const char *const workloads[] = {"GetVersion", "GetProject"};
	const struct opts *o = e->o;
	const struct driver *d;
	struct target t;
	char err[ERRLEN];
	int bad = 0;

	for (unsigned ti = 0; ti < 4; ti++) {
		const char *tr = transports[ti];
		const char *skip = NULL;
		if (ti == 0 && o->nng_url == NULL)
			skip = "no --nng URL given";
		if (ti == 1 && o->grpc_addr == NULL)
			skip = "no --grpc HOST:PORT given";
		if (ti >= 2 && o->http_addr == NULL)
			skip = o->skip_http ? o->skip_http
			                    : "no --http HOST:PORT given";
		for (unsigned wi = 0; wi < 2; wi++) {
			for (unsigned ci = 0; ci < o->nclients; ci++) {
				struct cell *c =
				    cell_new(workloads[wi], tr, o->clients[ci]);
				if (c == NULL)
					break;
				c->limit = limit_for(tr);
				cell_goal(c);
				if (skip != NULL) {
					c->skipped = skip;
				} else if (product_target(e, tr, workloads[wi],
				                          &t, &d, err,
				                          sizeof(err)) != 0) {
					snprintf(c->error, sizeof(c->error),
					         "%s", err);
				} else {
					run_cell(e, c, d, &t);
				}
				bad |= c->error[0] != '\0';
				cell_print_json(stdout, c);
			}
		}
	}
	/* Derived cells: codec shares of the server's CPU per request. */
	for (unsigned wi = 0; wi < 2; wi++) {
		for (int json = 0; json < 2; json++) {
			run_codec_cell(e, workloads[wi], json);
			bad |= cells[ncells - 1].error[0] != '\0';
			cell_print_json(stdout, &cells[ncells - 1]);
		}
		for (unsigned ci = 0; ci < o->nclients; ci++) {
			json_share_cell(workloads[wi], o->clients[ci]);
			cell_print_json(stdout, &cells[ncells - 1]);
		}
	}
	return bad ? 1 : 0;
}

/* fabench probe NAME | run TRANSPORT WORKLOAD: one cell per client count,
 * no pairing. */
static int cmd_single(struct env *e, const char *a, const char *b)
{
	const struct opts *o = e->o;
	const struct driver *d = NULL;
	const struct target *tp;
	struct target t;
	char err[ERRLEN];
	int bad = 0;

	for (unsigned ci = 0; ci < o->nclients; ci++) {
		struct cell *c = cell_new(b ? b : "echo", a, o->clients[ci]);
		if (c == NULL)
			break;
		if (b == NULL) {
			tp = probe_target(e, a, &d, err, sizeof(err));
		} else if (product_target(e, a, b, &t, &d, err, sizeof(err)) ==
		           0) {
			tp = &t;
		} else {
			tp = NULL;
		}
		if (tp == NULL)
			snprintf(c->error, sizeof(c->error), "%s", err);
		else
			run_cell(e, c, d, tp);
		bad |= c->error[0] != '\0';
		cell_print_json(stdout, c);
	}
	return bad ? 1 : 0;
}

static void read_first_line(const char *path, char *buf, size_t len,
                            const char *prefix)
{
	char line[512];
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (prefix == NULL ||
		    strncmp(line, prefix, strlen(prefix)) == 0) {
			char *v = prefix ? strchr(line, ':') : line;
			v = v ? v + (prefix != NULL) : line;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

/* The settings of an INI file: its lines without comments and blank
 * lines, joined by newlines (env's record of keeld's keel.ini). */
static char *ini_settings(const char *path)
{
	char line[512], *out = NULL;
	size_t len = 0, n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *grown;
		while (*p == ' ' || *p == '\t')
			p++;
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '\0' || *p == ';' || *p == '#')
			continue;
		n = strlen(p);
		grown = realloc(out, len + n + 2);
		if (grown == NULL)
			break;
		out = grown;
		if (len > 0)
			out[len++] = '\n';
		memcpy(out + len, p, n + 1);
		len += n;
	}
	fclose(f);
	return out;
}

int cmd_env(const struct opts *o)
{
	char buf[512], when[64];
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("{\"record\":\"env\"", stdout);
	json_kstr(stdout, "phase", o->phase ? o->phase : "start");
	json_kstr(stdout, "time", when);
	fprintf(stdout, ",\"nproc\":%ld", sysconf(_SC_NPROCESSORS_ONLN));
	if (uname(&u) == 0) {
		json_kstr(stdout, "kernel", u.release);
		json_kstr(stdout, "machine", u.machine);
	}
	read_first_line("/proc/cpuinfo", buf, sizeof(buf), "model name");
	json_kstr(stdout, "cpu", buf[0] ? buf : NULL);
	read_first_line("/proc/meminfo", buf, sizeof(buf), "MemTotal");
	json_kstr(stdout, "mem_total", buf[0] ? buf : NULL);
	read_first_line("/proc/loadavg", buf, sizeof(buf), NULL);
	json_kstr(stdout, "loadavg", buf[0] ? buf : NULL);
	read_first_line("/proc/pressure/cpu", buf, sizeof(buf), NULL);
	json_kstr(stdout, "psi_cpu", buf[0] ? buf : NULL);
	read_first_line("/proc/pressure/io", buf, sizeof(buf), NULL);
	json_kstr(stdout, "psi_io", buf[0] ? buf : NULL);
	json_kstr(stdout, "fabench", PACKAGE_VERSION);
	json_kstr(stdout, "keeld", o->keeld_version);
	json_kstr(stdout, "nng", nng_version());
	json_kstr(stdout, "protobuf_c", protobuf_c_version());
	json_kstr(stdout, "grpc", grpc_version_string());
#ifdef FABENCH_SQLITE
	json_kstr(stdout, "sqlite", sqlite3_libversion());
#endif
	json_kstr(stdout, "mode", o->smoke ? "smoke" : "full");
	fprintf(stdout, ",\"rounds\":%u", o->rounds);
	json_knum(stdout, "secs_per_round", o->secs, 3);
	json_knum(stdout, "warmup_secs", o->warmup, 3);
	json_kstr(stdout, "nng_shape",
	          o->nng_sockets ? "socket per client"
	                         : "context per client, one socket");
	json_kstr(stdout, "http_accept",
	          "http: application/octet-stream, http-json: "
	          "application/json");
	if (o->note != NULL)
		json_kstr(stdout, "note", o->note);
	if (o->probe_db != NULL) {
		struct dbprobe *p = NULL;
		char err[ERRLEN];
		json_kstr(stdout, "db", o->probe_db);
		if (o->skip_db != NULL) {
			json_kstr(stdout, "db_skipped", o->skip_db);
		} else if (dbprobe_open(o->probe_db, o->probe_conn, NULL, &p,
		                        err, sizeof(err)) != 0) {
			json_kstr(stdout, "db_error", err);
		} else {
			json_kstr(stdout, "db_server", dbprobe_server(p));
			json_kstr(stdout, "db_settings", dbprobe_settings(p));
		}
		dbprobe_close(p);
	}
	if (o->keel_ini != NULL) {
		char *ini = ini_settings(o->keel_ini);
		json_kstr(stdout, "keel_ini_file", o->keel_ini);
		json_kstr(stdout, "keel_ini", ini ? ini : "(unreadable)");
		free(ini);
	}
	fputs("}\n", stdout);
	return 0;
}

/* fabench ports N: N distinct free loopback ports, for run.sh (all held
 * open until printed, so they differ; a race with other programs remains,
 * as with any free-port probe). */
static int cmd_ports(const char *arg)
{
	struct sockaddr_in sa;
	socklen_t len;
	int fds[16], n = atoi(arg), i, rc = 0;

	if (n < 1 || n > 16) {
		fprintf(stderr, "fabench: ports takes a count from 1 to 16\n");
		return 64;
	}
	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; i < n && rc == 0; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sa);
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &len) != 0) {
			fprintf(stderr, "fabench: no free port: %s\n",
			        strerror(errno));
			rc = 71;
			break;
		}
		printf("%s%d", i ? " " : "", ntohs(sa.sin_port));
	}
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc == 0)
		printf("\n");
	return rc;
}

/* fabench ready: RegisterProject over nng (when given), then one
 * GetProject through every door given.  run.sh polls this until keeld
 * answers everywhere. */
static int cmd_ready(struct env *e)
{
	static const char *const doors[] = {"nng", "grpc", "http"};
	const struct opts *o = e->o;
	const char *given[] = {o->nng_url, o->grpc_addr, o->http_addr};
	const struct driver *d;
	struct target t;
	char err[ERRLEN];
	void *st;
	int rc;

	if (o->nng_url != NULL && (rc = cmd_register(o)) != 0)
		return rc;
	for (unsigned i = 0; i < 3; i++) {
		if (given[i] == NULL)
			continue;
		if (product_target(e, doors[i], "GetProject", &t, &d, err,
		                   sizeof(err)) != 0)
			goto fail;
		st = d->open(&t, err, sizeof(err));
		if (st == NULL)
			goto fail;
		rc = d->op(st, &t, err, sizeof(err));
		d->close(st);
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "fabench: not ready: %s\n", err);
	return 69;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: fabench [OPTIONS] [COMMAND]\n"
	        "\n"
	        "Keel's benchmark: product cells, each interleaved with a "
	        "limit probe.\n"
	        "\n"
	        "Commands:\n"
	        "  suite                 every cell: {nng,grpc,http} x "
	        "{GetVersion,GetProject}\n"
	        "                        x clients, plus pb-codec (default)\n"
	        "  probe NAME            one limit probe alone: raw-pingpong, "
	        "nng-echo,\n"
	        "                        http-static\n"
	        "  run TRANSPORT METHOD  one product workload alone, e.g. "
	        "run grpc GetProject\n"
	        "  register              RegisterProject --project over --nng "
	        "(ALREADY_EXISTS is ok)\n"
	        "  ready                 register, then one GetProject through "
	        "each door given\n"
	        "  ports N               print N free 127.0.0.1 ports\n"
	        "  populate              fill --data-dir's database with --rows "
	        "tasks\n"
	        "  populate-key          the key a populated database is "
	        "cached under\n"
	        "  registry              ListTasks/GetTask (and workflows): "
	        "the --nng/--grpc\n"
	        "                        keeld against the --base-* one and "
	        "against the SQL floor\n"
	        "  executions            CreateExecution and node events "
	        "over --nng/--grpc,\n"
	        "                        against one SQLite commit in "
	        "--data-dir's filesystem\n"
	        "  env                   print the environment as one JSON "
	        "line\n"
	        "  db-probes             print the database servers "
	        "--probe-db can probe\n"
	        "\n"
	        "Options:\n"
	        "      --nng URL          keeld's internal API "
	        "(tcp://127.0.0.1:PORT)\n"
	        "      --grpc HOST:PORT   keeld's gRPC door\n"
	        "      --http HOST:PORT   keeld's REST door\n"
	        "      --skip-http WHY    report the http cells as skipped, "
	        "with this reason\n"
	        "      --server-pid PID   keeld's pid: server CPU us/op from "
	        "/proc/PID/stat\n"
	        "      --project ID       project GetProject asks for "
	        "(default bench)\n"
	        "      --clients LIST     client counts (default 1,16)\n"
	        "      --rounds N         limit/product rounds per cell "
	        "(default 5)\n"
	        "      --secs S           measured seconds per round "
	        "(default 3)\n"
	        "      --warmup S         unmeasured seconds before each "
	        "round (default 0.5)\n"
	        "      --max-ops N        end a round after N requests "
	        "(default 50000000)\n"
	        "      --smoke            2 rounds of 0.3 s, 0.1 s warm-up "
	        "(for CI)\n"
	        "      --msg-size N       raw-pingpong/nng-echo message "
	        "bytes (default 200)\n"
	        "      --nng-sockets      nng: a socket per client instead of "
	        "a context each\n"
	        "      --table-stdout     the table on stdout after the JSON "
	        "(default stderr)\n"
	        "      --no-table         no table\n"
	        "      --keeld-version S  env: recorded as keeld's version\n"
	        "      --note TEXT        env: recorded as a note\n"
	        "      --phase NAME       env: start or end (default start)\n"
	        "      --data-dir DIR     populate, registry: the keeld data "
	        "directory\n"
	        "      --plugin-dir DIR   populate, registry: where "
	        "db_sqlite.so is\n"
	        "      --rows N           populate: tasks to write; registry: "
	        "tasks there\n"
	        "      --base-nng URL     registry: the baseline keeld "
	        "(smaller database)\n"
	        "      --base-grpc H:P    registry: its gRPC door\n"
	        "      --base-pid PID     registry: its pid\n"
	        "      --base-rows N      registry: tasks in its database\n"
	        "      --synchronous M    executions: keeld's [db] synchronous, "
	        "for the probe\n"
	        "                         (default normal)\n"
	        "      --keel-ini FILE    env: record keeld's keel.ini "
	        "settings\n"
	        "      --probe-db KIND    executions: keeld runs on a postgres "
	        "or mysql server;\n"
	        "                         the limits are its insert and select "
	        "probes (env:\n"
	        "                         record its version and settings)\n"
	        "      --probe-conn S     the server: 'host=H port=P user=U "
	        "password_file=F\n"
	        "                         database=D'\n"
	        "      --skip-db WHY      executions, env: report the "
	        "--probe-db cells skipped\n"
	        "      --db-pid PID       the server's pid: its CPU per op, "
	        "and the settling\n"
	        "  -h, --help             this help\n"
	        "\n"
	        "Output: JSON lines on stdout, progress and the table on "
	        "stderr.\n"
	        "Exit status: 0 ok, 1 a cell failed, 64 usage, 69 keeld "
	        "unreachable.\n");
}

static int parse_clients(const char *s, struct opts *o)
{
	char *end;

	o->nclients = 0;
	while (*s) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v == 0 || v > 1024 ||
		    o->nclients == MAX_CLIENT_COUNTS)
			return -1;
		o->clients[o->nclients++] = (unsigned)v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return o->nclients ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	enum {
		O_NNG = 256,
		O_GRPC,
		O_HTTP,
		O_SKIP_HTTP,
		O_PID,
		O_PROJECT,
		O_CLIENTS,
		O_ROUNDS,
		O_SECS,
		O_WARMUP,
		O_MAX_OPS,
		O_SMOKE,
		O_MSG,
		O_SOCKETS,
		O_TSTDOUT,
		O_NOTABLE,
		O_KV,
		O_NOTE,
		O_PHASE,
		O_DATA_DIR,
		O_PLUGIN_DIR,
		O_ROWS,
		O_BASE_NNG,
		O_BASE_GRPC,
		O_BASE_PID,
		O_BASE_ROWS,
		O_SYNC,
		O_KEEL_INI,
		O_PROBE_DB,
		O_PROBE_CONN,
		O_SKIP_DB,
		O_DB_PID,
	};
	static const struct option lo[] = {
	    {"nng", required_argument, NULL, O_NNG},
	    {"grpc", required_argument, NULL, O_GRPC},
	    {"http", required_argument, NULL, O_HTTP},
	    {"skip-http", required_argument, NULL, O_SKIP_HTTP},
	    {"server-pid", required_argument, NULL, O_PID},
	    {"project", required_argument, NULL, O_PROJECT},
	    {"clients", required_argument, NULL, O_CLIENTS},
	    {"rounds", required_argument, NULL, O_ROUNDS},
	    {"secs", required_argument, NULL, O_SECS},
	    {"warmup", required_argument, NULL, O_WARMUP},
	    {"max-ops", required_argument, NULL, O_MAX_OPS},
	    {"smoke", no_argument, NULL, O_SMOKE},
	    {"msg-size", required_argument, NULL, O_MSG},
	    {"nng-sockets", no_argument, NULL, O_SOCKETS},
	    {"table-stdout", no_argument, NULL, O_TSTDOUT},
	    {"no-table", no_argument, NULL, O_NOTABLE},
	    {"keeld-version", required_argument, NULL, O_KV},
	    {"note", required_argument, NULL, O_NOTE},
	    {"phase", required_argument, NULL, O_PHASE},
	    {"data-dir", required_argument, NULL, O_DATA_DIR},
	    {"plugin-dir", required_argument, NULL, O_PLUGIN_DIR},
	    {"rows", required_argument, NULL, O_ROWS},
	    {"base-nng", required_argument, NULL, O_BASE_NNG},
	    {"base-grpc", required_argument, NULL, O_BASE_GRPC},
	    {"base-pid", required_argument, NULL, O_BASE_PID},
	    {"base-rows", required_argument, NULL, O_BASE_ROWS},
	    {"synchronous", required_argument, NULL, O_SYNC},
	    {"keel-ini", required_argument, NULL, O_KEEL_INI},
	    {"probe-db", required_argument, NULL, O_PROBE_DB},
	    {"probe-conn", required_argument, NULL, O_PROBE_CONN},
	    {"skip-db", required_argument, NULL, O_SKIP_DB},
	    {"db-pid", required_argument, NULL, O_DB_PID},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch, rounds = -1;
	double secs = -1, warmup = -1;
	char *end;

	o->project = "bench";
	o->clients[0] = 1;
	o->clients[1] = 16;
	o->nclients = 2;
	o->max_ops = 50000000;
	o->msg_size = 200;
	o->table = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case O_NNG:
			o->nng_url = optarg;
			break;
		case O_GRPC:
			o->grpc_addr = optarg;
			break;
		case O_HTTP:
			o->http_addr = optarg;
			break;
		case O_SKIP_HTTP:
			o->skip_http = optarg;
			break;
		case O_PID:
		case O_BASE_PID: {
			long *pid = ch == O_PID ? &o->server_pid : &o->base_pid;
			*pid = strtol(optarg, &end, 10);
			if (*end || *pid <= 0)
				goto bad;
			break;
		}
		case O_PROJECT:
			o->project = optarg;
			break;
		case O_CLIENTS:
			if (parse_clients(optarg, o) != 0)
				goto bad;
			break;
		case O_ROUNDS:
			rounds = (int)strtol(optarg, &end, 10);
			if (*end || rounds < 1 || rounds > MAX_ROUNDS)
				goto bad;
			break;
		case O_SECS:
			secs = strtod(optarg, &end);
			if (*end || !(secs > 0) || secs > 3600)
				goto bad;
			break;
		case O_WARMUP:
			warmup = strtod(optarg, &end);
			if (*end || !(warmup >= 0) || warmup > 600)
				goto bad;
			break;
		case O_MAX_OPS:
			o->max_ops = strtoull(optarg, &end, 10);
			if (*end || o->max_ops == 0)
				goto bad;
			break;
		case O_SMOKE:
			o->smoke = 1;
			break;
		case O_MSG:
			o->msg_size = strtoul(optarg, &end, 10);
			if (*end || o->msg_size == 0 ||
			    o->msg_size > 1024 * 1024)
				goto bad;
			break;
		case O_SOCKETS:
			o->nng_sockets = 1;
			break;
		case O_TSTDOUT:
			o->table = 2;
			break;
		case O_NOTABLE:
			o->table = 0;
			break;
		case O_KV:
			o->keeld_version = optarg;
			break;
		case O_NOTE:
			o->note = optarg;
			break;
		case O_PHASE:
			o->phase = optarg;
			break;
		case O_DATA_DIR:
			o->data_dir = optarg;
			break;
		case O_PLUGIN_DIR:
			o->plugin_dir = optarg;
			break;
		case O_ROWS:
		case O_BASE_ROWS:
			*(ch == O_ROWS ? &o->rows : &o->base_rows) =
			    strtoull(optarg, &end, 10);
			if (*end || *optarg == '-' || *optarg == '\0')
				goto bad;
			break;
		case O_BASE_NNG:
			o->base_nng_url = optarg;
			break;
		case O_BASE_GRPC:
			o->base_grpc_addr = optarg;
			break;
		case O_SYNC:
			if (strcmp(optarg, "off") != 0 &&
			    strcmp(optarg, "normal") != 0 &&
			    strcmp(optarg, "full") != 0)
				goto bad;
			o->synchronous = optarg;
			break;
		case O_KEEL_INI:
			o->keel_ini = optarg;
			break;
		case O_PROBE_DB:
			if (strcmp(optarg, "postgres") != 0 &&
			    strcmp(optarg, "mysql") != 0)
				goto bad;
			o->probe_db = optarg;
			break;
		case O_PROBE_CONN:
			o->probe_conn = optarg;
			break;
		case O_SKIP_DB:
			o->skip_db = optarg;
			break;
		case O_DB_PID:
			o->db_pid = strtol(optarg, &end, 10);
			if (*end || o->db_pid <= 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Run 'fabench --help' for usage.\n");
			return -1;
		}
	}
	o->rounds = rounds > 0 ? (unsigned)rounds : o->smoke ? 2 : 5;
	o->secs = secs > 0 ? secs : o->smoke ? 0.3 : 3;
	o->warmup = warmup >= 0 ? warmup : o->smoke ? 0.1 : 0.5;
	return 0;
bad:
	/* lo[] lists the options in the enum's order. */
	fprintf(stderr, "fabench: bad value for --%s: '%s'\n",
	        lo[ch - O_NNG].name, optarg);
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct env e = {0};
	const char *cmd;
	char err[ERRLEN];
	int rc = 0, need_args = 0;

	if (parse_opts(argc, argv, &o) != 0)
		return 64;
	cmd = optind < argc ? argv[optind++] : "suite";
	if (strcmp(cmd, "probe") == 0)
		need_args = 1;
	else if (strcmp(cmd, "run") == 0)
		need_args = 2;
	else if (strcmp(cmd, "ports") == 0)
		need_args = 1;
	else if (strcmp(cmd, "suite") != 0 && strcmp(cmd, "register") != 0 &&
	         strcmp(cmd, "ready") != 0 && strcmp(cmd, "env") != 0 &&
	         strcmp(cmd, "populate") != 0 &&
	         strcmp(cmd, "populate-key") != 0 &&
	         strcmp(cmd, "registry") != 0 &&
	         strcmp(cmd, "executions") != 0 &&
	         strcmp(cmd, "db-probes") != 0) {
		fprintf(stderr, "fabench: unknown command '%s'\n", cmd);
		return 64;
	}
	if (argc - optind != need_args) {
		fprintf(stderr, "fabench: %s takes %d argument%s\n", cmd,
		        need_args, need_args == 1 ? "" : "s");
		return 64;
	}
	if (strcmp(cmd, "env") == 0)
		return cmd_env(&o);
	if (strcmp(cmd, "register") == 0)
		return cmd_register(&o);
	if (strcmp(cmd, "ports") == 0)
		return cmd_ports(argv[optind]);
	if (strcmp(cmd, "populate") == 0)
		return cmd_populate(&o);
	if (strcmp(cmd, "populate-key") == 0)
		return cmd_populate_key();
	if (strcmp(cmd, "db-probes") == 0) {
		printf("%s\n", dbprobe_kinds());
		return 0;
	}

	/* Peers that go away must not kill the load generator. */
	signal(SIGPIPE, SIG_IGN);
	driver_grpc_global_init();
	e.o = &o;
	if (strcmp(cmd, "registry") == 0) {
		rc = cmd_registry(&o);
		goto out;
	}
	if (strcmp(cmd, "executions") == 0) {
		rc = cmd_executions(&o);
		goto out;
	}
	for (unsigned i = 0; i < o.nclients; i++)
		if (o.clients[i] > e.max_clients)
			e.max_clients = o.clients[i];
	if (env_init_requests(&e, err, sizeof(err)) != 0) {
		fprintf(stderr, "fabench: %s\n", err);
		rc = 69;
		goto out;
	}
	if (strcmp(cmd, "ready") == 0) {
		rc = cmd_ready(&e);
		goto out;
	}
	if (strcmp(cmd, "suite") == 0)
		rc = cmd_suite(&e);
	else if (need_args == 1)
		rc = cmd_single(&e, argv[optind], NULL);
	else
		rc = cmd_single(&e, argv[optind], argv[optind + 1]);
	fflush(stdout);
	if (o.table)
		print_table(o.table == 2 ? stdout : stderr);
out:
	env_stop(&e);
	driver_grpc_global_shutdown();
	return rc;
}
