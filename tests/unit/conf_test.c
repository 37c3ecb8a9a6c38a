/*
 * conf_test.c -- INI parsing and schema validation.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

static const struct keel_config_key schema[] = {
	{"host", KEEL_CFG_STR, KEEL_CFG_F_REQUIRED, NULL, "server host", 0, 0},
	{"port", KEEL_CFG_INT, KEEL_CFG_F_RANGE, "5432", "port", 1, 65535},
	{"tls", KEEL_CFG_BOOL, 0, "false", "use TLS", 0, 0},
	{"timeout", KEEL_CFG_DURATION, 0, "5s", "timeout", 0, 0},
	{"buffer", KEEL_CFG_BYTES, 0, "64KiB", "buffer", 0, 0},
	{"file", KEEL_CFG_PATH, 0, "db.sqlite", "file", 0, 0},
	{"password", KEEL_CFG_SECRET, 0, NULL, "password", 0, 0},
	{NULL, 0, 0, NULL, NULL, 0, 0},
};

static int bind_text(const char *text, struct keel_config **cfg, char *err,
                     size_t errlen)
{
	struct conf *c = NULL;
	int rc = conf_load_string(text, "t.ini", &c, err, errlen);

	if (rc != 0)
		return rc;
	rc = conf_bind(conf_find(c, "db"), "t.ini", schema, sizeof(schema[0]),
	               (const char *const[]){"driver", NULL}, "/data", cfg,
	               err, errlen);
	conf_free(c);
	return rc;
}

int main(void)
{
	struct keel_config *cfg = NULL;
	char err[1024], big[400], buf[64];
	const char *s;
	int64_t i;
	int b, rc;
	size_t len;

	/* Values, defaults, types. */
	rc = bind_text("[db]\ndriver = pg\nhost = db.internal\nport = 6543\n"
	               "tls = yes\ntimeout = 250ms\nbuffer = 2MiB\n",
	               &cfg, err, sizeof(err));
	TAP_EQ_INT(rc, 0, "valid section binds (%s)", rc ? err : "ok");
	TAP_OK(conf_str(cfg, "host", &s) == 0 && strcmp(s, "db.internal") == 0,
	       "string value");
	TAP_OK(conf_int(cfg, "port", &i) == 0 && i == 6543, "integer value");
	TAP_OK(conf_bool(cfg, "tls", &b) == 0 && b == 1, "boolean yes");
	TAP_OK(conf_int(cfg, "timeout", &i) == 0 && i == 250,
	       "duration in ms");
	TAP_OK(conf_int(cfg, "buffer", &i) == 0 && i == 2 * 1024 * 1024,
	       "size in bytes");
	TAP_OK(conf_str(cfg, "file", &s) == 0 &&
	           strcmp(s, "/data/db.sqlite") == 0,
	       "relative path default resolved under the data dir");
	TAP_EQ_INT(conf_str(cfg, "nope", &s), KEEL_EINVAL,
	           "undeclared key is EINVAL");
	TAP_EQ_INT(conf_secret(cfg, "password", buf, sizeof(buf), &len),
	           KEEL_ENOTFOUND, "unset secret is ENOTFOUND");
	conf_bound_free(cfg);

	/* Errors name the key, line and valid keys. */
	rc = bind_text("[db]\nhost = x\nhots = y\n", &cfg, err, sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "unknown key is an error");
	TAP_HAS_STR(err, "t.ini:3: unknown key 'hots' in section [db]",
	            "message names file, line, key and section");
	TAP_HAS_STR(err, "valid keys: driver, host, port", "and lists keys");
	TAP_HAS_STR(err, "password_file, password_env",
	            "secrets listed as _file/_env");

	rc = bind_text("[db]\nport = 1\n", &cfg, err, sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "missing required key is an error");
	TAP_HAS_STR(err, "needs key 'host'", "message names the key");

	rc = bind_text("[db]\nhost = x\nport = 70000\n", &cfg, err, sizeof(err));
	TAP_HAS_STR(err, "port = '70000' is out of range (1..65535)",
	            "range checked");
	rc = bind_text("[db]\nhost = x\ntimeout = 5\n", &cfg, err, sizeof(err));
	TAP_HAS_STR(err, "timeout = '5' is not a duration",
	            "bare number is not a duration");
	rc = bind_text("[db]\nhost = x\ntls = maybe\n", &cfg, err, sizeof(err));
	TAP_HAS_STR(err, "tls = 'maybe' is not true or false", "bad boolean");
	rc = bind_text("[db]\nhost = x\nhost = y\n", &cfg, err, sizeof(err));
	TAP_HAS_STR(err, "already set at line 2", "repeated key refused");

	/* Secrets: never inline, never echoed. */
	rc = bind_text("[db]\nhost = x\npassword = hunter2\n", &cfg, err,
	               sizeof(err));
	TAP_EQ_INT(rc, KEEL_EINVAL, "inline secret refused");
	TAP_HAS_STR(err, "password_file = PATH", "message says how");
	TAP_OK(strstr(err, "hunter2") == NULL, "secret value not echoed");
	{
		char path[] = "/tmp/keel-secret-XXXXXX";
		int fd = mkstemp(path);
		char text[256];
		TAP_OK(fd >= 0 && write(fd, "s3cret\n", 7) == 7,
		       "secret file written");
		close(fd);
		snprintf(text, sizeof(text), "[db]\nhost = x\npassword_file = %s\n",
		         path);
		rc = bind_text(text, &cfg, err, sizeof(err));
		TAP_EQ_INT(rc, 0, "password_file accepted");
		rc = conf_secret(cfg, "password", buf, sizeof(buf), &len);
		TAP_OK(rc == 0 && strcmp(buf, "s3cret") == 0 && len == 6,
		       "secret read from file without its newline");
		TAP_EQ_INT(conf_secret(cfg, "password", buf, 4, &len),
		           KEEL_ERANGE, "small buffer is ERANGE");
		TAP_EQ_INT(len, 6, "and reports the size needed");
		conf_bound_free(cfg);
		unlink(path);
		setenv("KEEL_TEST_PW", "from-env", 1);
		rc = bind_text("[db]\nhost = x\npassword_env = KEEL_TEST_PW\n",
		               &cfg, err, sizeof(err));
		TAP_OK(rc == 0 &&
		           conf_secret(cfg, "password", buf, sizeof(buf),
		                       &len) == 0 &&
		           strcmp(buf, "from-env") == 0,
		       "secret from the environment");
		conf_bound_free(cfg);
		rc = bind_text("[db]\nhost = x\npassword_file = /nonexistent/pw\n",
		               &cfg, err, sizeof(err));
		TAP_HAS_STR(err, "cannot read '/nonexistent/pw'",
		            "unreadable secret file caught at start-up");
	}

	/* Parser: long lines, syntax, sections. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		char *text = NULL;
		struct conf *c = NULL;
		if (asprintf(&text, "[db]\nhost = %s\n", big) < 0)
			return 1;
		rc = conf_load_string(text, "t.ini", &c, err, sizeof(err));
		TAP_EQ_INT(rc, KEEL_EINVAL, "over-long line is an error, not a cut");
		TAP_HAS_STR(err, "t.ini:2: line is 406 bytes long",
		            "message gives line and length");
		free(text);
		conf_free(c);
	}
	{
		struct conf *c = NULL;
		char line[256];
		/* Exactly at the limit still parses. */
		memset(line, 'y', CONF_MAX_LINE - 4);
		line[CONF_MAX_LINE - 4] = '\0';
		char text[512];
		snprintf(text, sizeof(text), "[db]\nk = %s\n", line);
		rc = conf_load_string(text, "t.ini", &c, err, sizeof(err));
		TAP_OK(rc == 0 && strlen(conf_get(conf_find(c, "db"), "k")) ==
		                      CONF_MAX_LINE - 4,
		       "a %d-byte line is kept whole", CONF_MAX_LINE);
		conf_free(c);
	}
	{
		struct conf *c = NULL;
		rc = conf_load_string("[db]\nthis is not ini\n", "t.ini", &c, err,
		                      sizeof(err));
		TAP_HAS_STR(err, "t.ini:2: syntax error", "syntax error line");
		rc = conf_load_string("[db]\n[db]\n", "t.ini", &c, err,
		                      sizeof(err));
		TAP_HAS_STR(err, "duplicate section [db] (first at line 1)",
		            "duplicate section");
		rc = conf_load_string("a = b\n", "t.ini", &c, err, sizeof(err));
		TAP_HAS_STR(err, "outside any section", "key before a section");
		rc = conf_load_string("; comment\n[empty]\n[db]\nk = v ; note\n",
		                      "t.ini", &c, err, sizeof(err));
		TAP_OK(rc == 0 && conf_find(c, "empty") != NULL &&
		           conf_find(c, "empty")->line == 2,
		       "empty section recorded with its line");
		TAP_EQ_STR(conf_get(conf_find(c, "db"), "k"), "v",
		           "inline comment stripped");
		conf_free(c);
	}

	/* Parsers. */
	TAP_OK(conf_parse_duration("1h", &i) == 0 && i == 3600000, "1h");
	TAP_OK(conf_parse_duration("0", &i) == 0 && i == 0, "0 duration");
	TAP_OK(conf_parse_duration("-1s", &i) != 0, "negative duration refused");
	TAP_OK(conf_parse_bytes("1GiB", &i) == 0 && i == 1073741824, "1GiB");
	TAP_OK(conf_parse_bytes("12", &i) == 0 && i == 12, "bare bytes");
	TAP_OK(conf_parse_bytes("12 parsecs", &i) != 0, "unknown unit");
	TAP_OK(conf_parse_int("12x", &i) != 0, "trailing junk refused");
	return tap_done();
}
