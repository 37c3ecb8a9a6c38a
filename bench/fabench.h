/*
 * fabench.h -- what fabench's command files share: the options, the
 * clock, JSON output, one closed-loop round and the cells
 * (bench/README.md).
 *
 * fabench.c owns the cells array and the option parsing; registry.c
 * (populate, the registry cells) uses them through this header.
 */
#ifndef FABENCH_H
#define FABENCH_H

#include <stdint.h>
#include <stdio.h>

#include "hist.h"

#define MAX_CLIENT_COUNTS 8
#define MAX_ROUNDS        100
#define MAX_CELLS         128
/* Nested messages grow by a prefix at each level. */
#define ERRLEN      200
#define RES_ERRLEN  256
#define CELL_ERRLEN 400

struct driver;
struct target;

struct opts {
	const char *nng_url;
	const char *grpc_addr;
	const char *http_addr;
	const char *skip_http;
	const char *project;
	const char *keeld_version;
	const char *note;
	const char *phase;
	long server_pid;
	unsigned clients[MAX_CLIENT_COUNTS];
	unsigned nclients;
	unsigned rounds;
	double secs, warmup;
	uint64_t max_ops;
	size_t msg_size;
	int nng_sockets;
	int smoke;
	int table; /* 0 none, 1 stderr, 2 stdout */
	/* populate and registry (registry.c) */
	const char *data_dir;   /* keeld data directory: populated, floored */
	const char *plugin_dir; /* where db_sqlite.so is */
	uint64_t rows;          /* tasks in data_dir's database */
	/* registry: the baseline keeld, on a smaller database */
	const char *base_nng_url;
	const char *base_grpc_addr;
	long base_pid;
	uint64_t base_rows;
	/* executions (executions.c) */
	const char *keel_ini; /* env: the keel.ini keeld runs with */
	const char *synchronous; /* sqlite-commit: keeld's [db] setting */
	/* executions on a database server (dbprobe.h): the probes' server
	 * and connection, why the cells are skipped (no server), and the
	 * server's pid, whose CPU (with its children's) every round reads */
	const char *probe_db;   /* postgres or mysql; NULL: SQLite */
	const char *probe_conn; /* "host=... port=... user=... ..." */
	const char *skip_db;
	long db_pid;
};

/* ---- the clock and medians ---------------------------------------------- */

double now_s(void);
uint64_t now_ns(void);
/* Median of v[0..n) (n <= MAX_ROUNDS); NAN when empty. */
double median(const double *v, unsigned n);
void sleep_s(double s);
/* CPU time (user + system) of process pid in microseconds, or -1. */
double proc_cpu_us(long pid);
/* The same for pid and its child processes (PostgreSQL's backends are
 * the postmaster's children), or -1. */
double proc_tree_cpu_us(long pid);

/* ---- JSON output ---------------------------------------------------------- */

void json_str(FILE *f, const char *s);
void json_kstr(FILE *f, const char *k, const char *v);
void json_knum(FILE *f, const char *k, double v, int decimals);

/* ---- one round: N closed-loop clients -------------------------------- */

struct round_res {
	uint64_t ops, errors;
	double secs, ops_per_s, p50_us;
	double cpu_us; /* server CPU over the measured window; -1 unknown */
	double db_cpu_us; /* opts.db_pid's (tree) CPU, the same; -1 unknown */
	struct hist h;
	char err[RES_ERRLEN];
};

/* Run one round of d on t; pid (0: none) is the server whose CPU time
 * is read.  0, or -1 with res->err set. */
int run_round(const struct driver *d, const struct target *t,
              unsigned clients, const struct opts *o, long pid,
              struct round_res *res);

/* HOST:PORT into t->host and t->port; 0, or -1 with err. */
int split_hostport(const char *s, struct target *t, char *err, size_t errlen);

/* ---- cells ------------------------------------------------------------ */

struct cell {
	/* what */
	const char *workload;  /* GetVersion, GetProject, echo */
	const char *transport; /* nng, grpc, http, raw-pingpong, ... */
	unsigned clients;
	/* registry cells: what the product is compared with ("size":
	 * the same request to a keeld on a smaller database, "floor": the
	 * request's SQL run directly), and the two databases' sizes */
	const char *compare;
	uint64_t rows, limit_rows;
	const char *limit;        /* paired limit probe, or NULL */
	const char *limit_metric; /* its figure compared: p50_us, ops_per_s */
	int latency;              /* compare p50 (1) or ops/s (0) */
	const char *goal;         /* "<=5", ">=0.2", or NULL */
	double goal_value;
	const char *goal_on;      /* the figure the goal is on; NULL: ratio */
	/* results */
	const char *skipped;
	char error[CELL_ERRLEN];
	unsigned rounds;
	uint64_t ops;
	double secs, ops_per_s, p50_us, p90_us, p99_us, p999_us;
	double cpu_us_per_op;
	double limit_value, limit_p50_us, limit_ops_per_s;
	double ratio, ratio_min, ratio_max;
	double floor_diff_us; /* floor cells: p50 - limit p50 */
	/* floor cells of a Get: the door's own round trip (GetVersion on the
	 * same keeld and door, no database) and what is left of the
	 * request's p50 after it and the floor: keeld's added latency. */
	double door_p50_us, server_diff_us;
	const char *floor_sql; /* floor cells: the first statement run */
	unsigned floor_stmts;  /* ... of this many */
	/* executions cells: the product's p99 over the limit's p50 */
	double p99_ratio;
	/* database-server cells: the server's CPU per op in the product's
	 * windows and in the probe's; GetExecution: the select probe's p99
	 * and the transport probe (rtt_limit) whose p99 completes the
	 * limit, 2 x select p99 + rtt p99 */
	double db_cpu_us_per_op, limit_db_cpu_us_per_op;
	const char *rtt_limit;
	double select_p99_us, rtt_p50_us, rtt_p99_us;
	const char *note; /* printed when set */
	int pass; /* -1 no goal */
};

extern struct cell cells[MAX_CELLS];
extern unsigned ncells;

/* A new cell with every figure unknown; NULL when the table is full. */
struct cell *cell_new(const char *workload, const char *transport,
                      unsigned clients);
void cell_print_json(FILE *f, const struct cell *c);

/* A cell's figures as the tables print them ("-" for unknown ones). */
struct cell_txt {
	char ops[32], p50[32], p99[32], cpu[32], limit[32], ratio[32];
	char diff[32], range[48];
	const char *goal, *pass;
};
void cell_format(const struct cell *c, struct cell_txt *t);

/* ---- commands ------------------------------------------------------------ */

int cmd_env(const struct opts *o);
/* registry.c */
int cmd_populate(const struct opts *o);
int cmd_populate_key(void);
int cmd_registry(const struct opts *o);
/* executions.c */
int cmd_executions(const struct opts *o);

#endif /* FABENCH_H */
