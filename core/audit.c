/* audit.c -- see audit.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "log.h"
#include "rpc.h"
#include "sbuf.h"
#include "util.h"

static struct {
	pthread_mutex_t mu;
	int fd;
	char *path;
} audit = {PTHREAD_MUTEX_INITIALIZER, -1, NULL};

static int audit_open_locked(void)
{
	int fd = open(audit.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	              0640);
	if (fd < 0)
		return -errno;
	if (audit.fd >= 0)
		close(audit.fd);
	audit.fd = fd;
	return 0;
}

int audit_setup(const char *path)
{
	int rc = 0;

	pthread_mutex_lock(&audit.mu);
	free(audit.path);
	audit.path = NULL;
	if (audit.fd >= 0)
		close(audit.fd);
	audit.fd = -1;
	if (path != NULL && path[0] != '\0') {
		audit.path = util_strdup(path);
		rc = audit.path ? audit_open_locked() : -ENOMEM;
		if (rc != 0) {
			free(audit.path);
			audit.path = NULL;
		}
	}
	pthread_mutex_unlock(&audit.mu);
	return rc;
}

int audit_reopen(void)
{
	int rc = 0;

	pthread_mutex_lock(&audit.mu);
	if (audit.path != NULL)
		rc = audit_open_locked();
	pthread_mutex_unlock(&audit.mu);
	return rc;
}

void audit_shutdown(void)
{
	audit_setup(NULL);
}

void audit_call(const struct call *c, int64_t ms)
{
	struct sbuf b = SBUF_INIT;
	char ts[32];
	char *line;
	size_t len;

	util_rfc3339_ms(util_now_ms(), ts);
	sbuf_printf(&b, "{\"ts\":\"%s\",\"request_id\":", ts);
	sbuf_json_str(&b, c->request_id ? c->request_id : "");
	sbuf_puts(&b, ",\"principal\":");
	sbuf_json_str(&b, c->principal ? c->principal : "anonymous");
	sbuf_puts(&b, ",\"door\":");
	sbuf_json_str(&b, c->door ? c->door : "");
	sbuf_puts(&b, ",\"method\":");
	sbuf_json_str(&b, c->method ? c->method->path : "");
	sbuf_printf(&b, ",\"code\":\"%s\",\"message\":", rpc_code_name(c->code));
	sbuf_json_str(&b, c->message ? c->message : "");
	sbuf_printf(&b, ",\"ms\":%lld}\n", (long long)ms);
	line = sbuf_finish(&b, &len);
	if (line == NULL) {
		LOG_ERROR("audit", "out of memory writing an audit record for "
		                   "request_id=%s",
		          c->request_id ? c->request_id : "");
		return;
	}
	pthread_mutex_lock(&audit.mu);
	if (audit.fd >= 0) {
		ssize_t n = write(audit.fd, line, len);
		if (n != (ssize_t)len)
			LOG_ERROR("audit", "%s: %s; record: %.*s", audit.path,
			          n < 0 ? strerror(errno) : "short write",
			          (int)len - 1, line);
		pthread_mutex_unlock(&audit.mu);
	} else {
		pthread_mutex_unlock(&audit.mu);
		LOG_INFO("audit", "%.*s", (int)len - 1, line);
	}
	free(line);
}
