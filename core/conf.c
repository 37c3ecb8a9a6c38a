/*
 * conf.c -- INI parsing (inih) and validation against declared schemas.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

#define CONF_SECRET_MAX (64 * 1024)

/* ------------------------------------------------------------------ */
/* Sections                                                            */
/* ------------------------------------------------------------------ */

struct conf_section *conf_section_new(const char *name)
{
	struct conf_section *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->name = util_strdup(name);
	if (s->name == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static int conf_section_add(struct conf_section *s, const char *key,
                            const char *value, int line)
{
	struct conf_entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		e = realloc(s->entries, cap * sizeof(*e));
		if (e == NULL)
			return KEEL_ENOMEM;
		s->entries = e;
		s->cap = cap;
	}
	e = &s->entries[s->n];
	e->key = util_strdup(key);
	e->value = util_strdup(value);
	e->line = line;
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		free(e->value);
		return KEEL_ENOMEM;
	}
	s->n++;
	return 0;
}

int conf_section_set(struct conf_section *s, const char *key,
                     const char *value)
{
	return conf_section_add(s, key, value, 0);
}

void conf_section_free(struct conf_section *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	free(s->name);
	free(s->origin);
	free(s);
}

void conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		conf_section_free(c->sections[i]);
	free(c->sections);
	free(c->origin);
	free(c);
}

const struct conf_section *conf_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->sections[i]->name, name) == 0)
			return c->sections[i];
	return NULL;
}

const char *conf_get(const struct conf_section *s, const char *key)
{
	const char *v = NULL;

	for (size_t i = 0; s != NULL && i < s->n; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			v = s->entries[i].value;
	return v;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* inih reads through this reader so we know the line number of every
 * call, see section headers (even empty sections), and refuse lines inih
 * would cut. */
struct conf_parse {
	struct conf *c;
	const char *text;
	size_t pos;
	int line;
	int err_line;
	int rc;
	char *err;
	size_t errlen;
};

static void conf_errf(struct conf_parse *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void conf_errf(struct conf_parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->rc != 0)
		return; /* keep the first error */
	p->rc = KEEL_EINVAL;
	p->err_line = line;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->c->origin, line);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static struct conf_section *conf_get_section(struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->sections[i]->name, name) == 0)
			return c->sections[i];
	return NULL;
}

static int conf_add_section(struct conf_parse *p, const char *name, int line)
{
	struct conf *c = p->c;
	struct conf_section *s = conf_get_section(c, name);

	if (s != NULL) {
		conf_errf(p, line, "duplicate section [%s] (first at line %d)",
		          name, s->line);
		return KEEL_EINVAL;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct conf_section **v =
		    realloc(c->sections, cap * sizeof(*v));
		if (v == NULL)
			return KEEL_ENOMEM;
		c->sections = v;
		c->cap = cap;
	}
	s = conf_section_new(name);
	if (s == NULL)
		return KEEL_ENOMEM;
	s->origin = util_strdup(c->origin);
	if (s->origin == NULL) {
		conf_section_free(s);
		return KEEL_ENOMEM;
	}
	s->line = line;
	c->sections[c->n++] = s;
	return 0;
}

/* Recognise "[name]" (after blanks) the way inih does, to register the
 * section with its line even when it has no keys. */
static void conf_scan_header(struct conf_parse *p, const char *l, size_t n)
{
	size_t i = 0, j;
	char name[128];

	while (i < n && isspace((unsigned char)l[i]))
		i++;
	if (i >= n || l[i] != '[')
		return;
	j = ++i;
	while (j < n && l[j] != ']')
		j++;
	if (j >= n)
		return; /* inih reports the syntax error */
	while (i < j && isspace((unsigned char)l[i]))
		i++;
	while (j > i && isspace((unsigned char)l[j - 1]))
		j--;
	if (j - i >= sizeof(name)) {
		conf_errf(p, p->line, "section name too long");
		return;
	}
	memcpy(name, l + i, j - i);
	name[j - i] = '\0';
	if (conf_add_section(p, name, p->line) == KEEL_ENOMEM)
		p->rc = KEEL_ENOMEM;
}

static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	const char *l = p->text + p->pos;
	size_t n = 0, copy;

	if (*l == '\0')
		return NULL;
	while (l[n] != '\0' && l[n] != '\n')
		n++;
	p->line++;
	copy = n;
	if (copy > 0 && l[copy - 1] == '\r')
		copy--;
	if (copy > CONF_MAX_LINE || copy + 2 > (size_t)num) {
		conf_errf(p, p->line,
		          "line is %zu bytes long, the limit is %d bytes; put long "
		          "values in a file and point a *_file key at it",
		          copy, CONF_MAX_LINE);
		/* Feed inih an empty line; the error stops the load anyway. */
		str[0] = '\n';
		str[1] = '\0';
	} else {
		memcpy(str, l, copy);
		str[copy] = '\n';
		str[copy + 1] = '\0';
		conf_scan_header(p, str, copy);
	}
	p->pos += n + (l[n] == '\n');
	return str;
}

static int conf_handler(void *user, const char *section, const char *name,
                        const char *value)
{
	struct conf_parse *p = user;
	struct conf_section *s;

	if (p->rc != 0)
		return 1;
	if (*section == '\0') {
		conf_errf(p, p->line,
		          "key '%s' is outside any section; every key belongs "
		          "to a [section]", name);
		return 1;
	}
	s = conf_get_section(p->c, section);
	if (s == NULL) {
		/* Header not seen by the scanner: should not happen. */
		if (conf_add_section(p, section, p->line) != 0)
			return 0;
		s = conf_get_section(p->c, section);
	}
	if (conf_section_add(s, name, value, p->line) != 0) {
		p->rc = KEEL_ENOMEM;
		return 0;
	}
	return 1;
}

int conf_load_string(const char *text, const char *origin, struct conf **out,
                     char *err, size_t errlen)
{
	struct conf_parse p = {.text = text, .err = err, .errlen = errlen};
	int rc;

	*out = NULL;
	p.c = calloc(1, sizeof(*p.c));
	if (p.c == NULL)
		return KEEL_ENOMEM;
	p.c->origin = util_strdup(origin);
	if (p.c->origin == NULL) {
		conf_free(p.c);
		return KEEL_ENOMEM;
	}
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	if (p.rc == KEEL_ENOMEM) {
		util_fmt(err, errlen, "%s: out of memory", origin);
		conf_free(p.c);
		return KEEL_ENOMEM;
	}
	if (p.rc == 0 && rc != 0) {
		if (rc < 0)
			conf_errf(&p, 0, "cannot parse");
		else
			conf_errf(&p, rc,
			          "syntax error: expected '[section]', "
			          "'key = value' or a comment");
	}
	if (p.rc != 0) {
		conf_free(p.c);
		return p.rc;
	}
	*out = p.c;
	return 0;
}

int conf_load_file(const char *path, struct conf **out, char *err,
                   size_t errlen)
{
	char *text = NULL;
	int rc;

	*out = NULL;
	rc = util_read_file(path, &text, NULL, 1 << 20);
	if (rc < 0) {
		util_fmt(err, errlen, "%s: cannot read configuration: %s",
		         path, strerror(-rc));
		return rc == -ENOENT ? KEEL_ENOTFOUND : KEEL_EINVAL;
	}
	rc = conf_load_string(text, path, out, err, errlen);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Value parsers                                                       */
/* ------------------------------------------------------------------ */

int conf_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < UTIL_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return KEEL_EINVAL;
}

int conf_parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return KEEL_EINVAL;
	*out = v;
	return 0;
}

/* "<number><unit>" with units from table; a bare number uses bare_mult. */
struct conf_unit {
	const char *suffix;
	int64_t mult;
};

static int conf_parse_units(const char *s, const struct conf_unit *units,
                            size_t nunits, int64_t bare_mult, int64_t *out)
{
	char *end;
	long long v;
	int64_t mult = bare_mult;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return KEEL_EINVAL;
	while (*end == ' ')
		end++;
	if (*end != '\0') {
		size_t i;
		for (i = 0; i < nunits; i++)
			if (strcasecmp(end, units[i].suffix) == 0)
				break;
		if (i == nunits)
			return KEEL_EINVAL;
		mult = units[i].mult;
	} else if (bare_mult == 0) {
		return KEEL_EINVAL; /* a unit is required */
	}
	if (v > INT64_MAX / mult)
		return KEEL_EINVAL;
	*out = v * mult;
	return 0;
}

int conf_parse_duration(const char *s, int64_t *ms)
{
	static const struct conf_unit units[] = {
	    {"ms", 1},       {"s", 1000},         {"m", 60000},
	    {"h", 3600000},  {"d", 86400000},
	};
	/* "0" needs no unit; any other bare number is ambiguous. */
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	return conf_parse_units(s, units, UTIL_ARRAY_LEN(units), 0, ms);
}

int conf_parse_bytes(const char *s, int64_t *bytes)
{
	static const struct conf_unit units[] = {
	    {"B", 1},
	    {"KiB", 1024},
	    {"MiB", 1024 * 1024},
	    {"GiB", 1024LL * 1024 * 1024},
	    {"KB", 1000},
	    {"MB", 1000 * 1000},
	    {"GB", 1000LL * 1000 * 1000},
	    {"K", 1024},
	    {"M", 1024 * 1024},
	    {"G", 1024LL * 1024 * 1024},
	};
	return conf_parse_units(s, units, UTIL_ARRAY_LEN(units), 1, bytes);
}

const char *conf_type_name(uint32_t type)
{
	switch (type) {
	case KEEL_CFG_STR:
		return "string";
	case KEEL_CFG_INT:
		return "integer";
	case KEEL_CFG_BOOL:
		return "boolean";
	case KEEL_CFG_DURATION:
		return "duration";
	case KEEL_CFG_BYTES:
		return "size";
	case KEEL_CFG_SECRET:
		return "secret";
	case KEEL_CFG_PATH:
		return "path";
	default:
		return "unknown";
	}
}

static const char *conf_type_hint(uint32_t type)
{
	switch (type) {
	case KEEL_CFG_INT:
		return "a decimal integer";
	case KEEL_CFG_BOOL:
		return "true or false";
	case KEEL_CFG_DURATION:
		return "a duration such as 250ms, 30s, 5m or 1h";
	case KEEL_CFG_BYTES:
		return "a size such as 512, 64KiB, 4MiB or 1GiB";
	default:
		return "a value";
	}
}

/* ------------------------------------------------------------------ */
/* Binding                                                             */
/* ------------------------------------------------------------------ */

struct conf_val {
	const struct keel_config_key *key;
	int set;            /* value or default present */
	char *str;          /* STR, PATH: the value; others: the text */
	int64_t num;        /* INT, DURATION, BYTES, BOOL */
	char *secret_file;  /* SECRET */
	char *secret_env;   /* SECRET */
};

struct keel_config {
	size_t n;
	struct conf_val vals[];
};

static const struct keel_config_key *conf_key_at(
    const struct keel_config_key *schema, size_t key_size, size_t i)
{
	return (const struct keel_config_key *)(const void *)((const char *)schema +
	                                                      i * key_size);
}

static size_t conf_schema_len(const struct keel_config_key *schema,
                              size_t key_size)
{
	size_t n = 0;

	while (schema != NULL && conf_key_at(schema, key_size, n)->name != NULL)
		n++;
	return n;
}

/* "a, b, c" list of the schema's keys (secrets as key_file/key_env). */
static void conf_valid_keys(const struct keel_config_key *schema,
                            size_t key_size, const char *const *skip,
                            char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; skip != NULL && skip[i] != NULL; i++)
		pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0,
		                        "%s%s", pos ? ", " : "", skip[i]);
	for (size_t i = 0; schema != NULL; i++) {
		const struct keel_config_key *k =
		    conf_key_at(schema, key_size, i);
		if (k->name == NULL)
			break;
		if (k->type == KEEL_CFG_SECRET)
			pos += (size_t)snprintf(
			    buf + pos, pos < len ? len - pos : 0,
			    "%s%s_file, %s_env", pos ? ", " : "", k->name,
			    k->name);
		else
			pos += (size_t)snprintf(buf + pos,
			                        pos < len ? len - pos : 0,
			                        "%s%s", pos ? ", " : "",
			                        k->name);
	}
	if (pos == 0)
		util_strlcpy(buf, "(none)", len);
}

static int conf_in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* Parse text into v according to its type.  0 or KEEL_EINVAL. */
static int conf_convert(struct conf_val *v, const char *text,
                        const char *data_dir)
{
	const struct keel_config_key *k = v->key;
	int64_t num = 0;
	int b, rc = 0;

	switch (k->type) {
	case KEEL_CFG_STR:
		break;
	case KEEL_CFG_PATH:
		if (text[0] != '/' && data_dir != NULL) {
			char *abs = util_asprintf("%s/%s", data_dir, text);
			if (abs == NULL)
				return KEEL_ENOMEM;
			free(v->str);
			v->str = abs;
			v->set = 1;
			return 0;
		}
		break;
	case KEEL_CFG_INT:
		rc = conf_parse_int(text, &num);
		break;
	case KEEL_CFG_BOOL:
		rc = conf_parse_bool(text, &b);
		num = b;
		break;
	case KEEL_CFG_DURATION:
		rc = conf_parse_duration(text, &num);
		break;
	case KEEL_CFG_BYTES:
		rc = conf_parse_bytes(text, &num);
		break;
	default:
		return KEEL_EINVAL;
	}
	if (rc != 0)
		return rc;
	if ((k->flags & KEEL_CFG_F_RANGE) &&
	    (num < k->min || num > k->max))
		return KEEL_ERANGE;
	free(v->str);
	v->str = util_strdup(text);
	if (v->str == NULL)
		return KEEL_ENOMEM;
	v->num = num;
	v->set = 1;
	return 0;
}

void conf_bound_free(struct keel_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->vals[i].str);
		free(cfg->vals[i].secret_file);
		free(cfg->vals[i].secret_env);
	}
	free(cfg);
}

static struct conf_val *conf_val_find(const struct keel_config *cfg,
                                      const char *name)
{
	for (size_t i = 0; cfg != NULL && i < cfg->n; i++)
		if (strcmp(cfg->vals[i].key->name, name) == 0)
			return (struct conf_val *)&cfg->vals[i];
	return NULL;
}

int conf_bind(const struct conf_section *s, const char *origin,
              const struct keel_config_key *schema, size_t key_size,
              const char *const *skip, const char *data_dir,
              struct keel_config **out, char *err, size_t errlen)
{
	size_t nkeys = conf_schema_len(schema, key_size);
	struct keel_config *cfg;
	const char *sname = s ? s->name : "?";
	char valid[1024];
	int rc = KEEL_EINVAL;

	*out = NULL;
	cfg = calloc(1, sizeof(*cfg) + nkeys * sizeof(cfg->vals[0]));
	if (cfg == NULL)
		return KEEL_ENOMEM;
	cfg->n = nkeys;
	for (size_t i = 0; i < nkeys; i++)
		cfg->vals[i].key = conf_key_at(schema, key_size, i);

	/* Defaults first; a bad default is the plugin's bug, said so. */
	for (size_t i = 0; i < nkeys; i++) {
		struct conf_val *v = &cfg->vals[i];
		if (v->key->def == NULL || v->key->type == KEEL_CFG_SECRET)
			continue;
		rc = conf_convert(v, v->key->def, data_dir);
		if (rc == KEEL_ENOMEM)
			goto out_nomem;
		if (rc != 0) {
			util_fmt(err, errlen,
			         "section [%s]: the schema's default for '%s' "
			         "('%s') is not %s; the plugin is broken",
			         sname, v->key->name, v->key->def,
			         conf_type_hint(v->key->type));
			rc = KEEL_EINVAL;
			goto out_free;
		}
	}

	for (size_t e = 0; s != NULL && e < s->n; e++) {
		const struct conf_entry *ent = &s->entries[e];
		struct conf_val *v = conf_val_find(cfg, ent->key);
		size_t kl = strlen(ent->key);

		if (conf_in_list(skip, ent->key))
			continue;
		/* Repeated keys are a mistake for scalar settings. */
		for (size_t f = 0; f < e; f++) {
			if (strcmp(s->entries[f].key, ent->key) == 0) {
				util_fmt(err, errlen,
				         "%s:%d: key '%s' in section [%s] is "
				         "already set at line %d",
				         origin, ent->line, ent->key, sname,
				         s->entries[f].line);
				rc = KEEL_EINVAL;
				goto out_free;
			}
		}
		if (v == NULL) {
			/* key_file / key_env of a secret? */
			char base[128];
			const char *suffix = NULL;
			if (kl > 5 && strcmp(ent->key + kl - 5, "_file") == 0)
				suffix = "_file";
			else if (kl > 4 &&
			         strcmp(ent->key + kl - 4, "_env") == 0)
				suffix = "_env";
			if (suffix != NULL &&
			    kl - strlen(suffix) < sizeof(base)) {
				memcpy(base, ent->key, kl - strlen(suffix));
				base[kl - strlen(suffix)] = '\0';
				v = conf_val_find(cfg, base);
			}
			if (v == NULL || v->key->type != KEEL_CFG_SECRET) {
				conf_valid_keys(schema, key_size, skip, valid,
				                sizeof(valid));
				util_fmt(err, errlen,
				         "%s:%d: unknown key '%s' in section "
				         "[%s]; valid keys: %s",
				         origin, ent->line, ent->key, sname,
				         valid);
				rc = KEEL_EINVAL;
				goto out_free;
			}
			if (*ent->value == '\0') {
				util_fmt(err, errlen,
				         "%s:%d: [%s] %s is empty", origin,
				         ent->line, sname, ent->key);
				rc = KEEL_EINVAL;
				goto out_free;
			}
			if (strcmp(suffix, "_file") == 0) {
				if (access(ent->value, R_OK) != 0) {
					util_fmt(err, errlen,
					         "%s:%d: [%s] %s: cannot read "
					         "'%s': %s",
					         origin, ent->line, sname,
					         ent->key, ent->value,
					         strerror(errno));
					rc = KEEL_EINVAL;
					goto out_free;
				}
				free(v->secret_file);
				v->secret_file = util_strdup(ent->value);
				if (v->secret_file == NULL)
					goto out_nomem;
			} else {
				free(v->secret_env);
				v->secret_env = util_strdup(ent->value);
				if (v->secret_env == NULL)
					goto out_nomem;
			}
			if (v->secret_file != NULL && v->secret_env != NULL) {
				util_fmt(err, errlen,
				         "%s:%d: [%s] set either %s_file or "
				         "%s_env, not both",
				         origin, ent->line, sname,
				         v->key->name, v->key->name);
				rc = KEEL_EINVAL;
				goto out_free;
			}
			v->set = 1;
			continue;
		}
		if (v->key->type == KEEL_CFG_SECRET) {
			/* The value is deliberately not echoed. */
			util_fmt(err, errlen,
			         "%s:%d: [%s] %s is a secret and cannot be "
			         "written in the file; set %s_file = PATH or "
			         "%s_env = VARIABLE instead",
			         origin, ent->line, sname, ent->key, ent->key,
			         ent->key);
			rc = KEEL_EINVAL;
			goto out_free;
		}
		rc = conf_convert(v, ent->value, data_dir);
		if (rc == KEEL_ENOMEM)
			goto out_nomem;
		if (rc == KEEL_ERANGE) {
			util_fmt(err, errlen,
			         "%s:%d: [%s] %s = '%s' is out of range "
			         "(%lld..%lld)",
			         origin, ent->line, sname, ent->key,
			         ent->value, (long long)v->key->min,
			         (long long)v->key->max);
			rc = KEEL_EINVAL;
			goto out_free;
		}
		if (rc != 0) {
			util_fmt(err, errlen,
			         "%s:%d: [%s] %s = '%s' is not %s", origin,
			         ent->line, sname, ent->key, ent->value,
			         conf_type_hint(v->key->type));
			rc = KEEL_EINVAL;
			goto out_free;
		}
	}

	for (size_t i = 0; i < nkeys; i++) {
		struct conf_val *v = &cfg->vals[i];
		if ((v->key->flags & KEEL_CFG_F_REQUIRED) && !v->set) {
			conf_valid_keys(schema, key_size, skip, valid,
			                sizeof(valid));
			if (v->key->type == KEEL_CFG_SECRET)
				util_fmt(err, errlen,
				         "%s: section [%s] needs %s_file or "
				         "%s_env (%s); valid keys: %s",
				         origin, sname, v->key->name,
				         v->key->name,
				         v->key->help ? v->key->help : "",
				         valid);
			else
				util_fmt(err, errlen,
				         "%s: section [%s] needs key '%s' "
				         "(%s); valid keys: %s",
				         origin, sname, v->key->name,
				         v->key->help ? v->key->help : "",
				         valid);
			rc = KEEL_EINVAL;
			goto out_free;
		}
	}
	*out = cfg;
	return 0;

out_nomem:
	util_fmt(err, errlen, "out of memory");
	rc = KEEL_ENOMEM;
out_free:
	conf_bound_free(cfg);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Typed access                                                        */
/* ------------------------------------------------------------------ */

int conf_str(const struct keel_config *cfg, const char *key, const char **out)
{
	struct conf_val *v = conf_val_find(cfg, key);

	if (v == NULL || v->key->type == KEEL_CFG_SECRET)
		return KEEL_EINVAL;
	if (!v->set)
		return KEEL_ENOTFOUND;
	*out = v->str;
	return 0;
}

int conf_int(const struct keel_config *cfg, const char *key, int64_t *out)
{
	struct conf_val *v = conf_val_find(cfg, key);

	if (v == NULL || (v->key->type != KEEL_CFG_INT &&
	                  v->key->type != KEEL_CFG_DURATION &&
	                  v->key->type != KEEL_CFG_BYTES))
		return KEEL_EINVAL;
	if (!v->set)
		return KEEL_ENOTFOUND;
	*out = v->num;
	return 0;
}

int conf_bool(const struct keel_config *cfg, const char *key, int *out)
{
	struct conf_val *v = conf_val_find(cfg, key);

	if (v == NULL || v->key->type != KEEL_CFG_BOOL)
		return KEEL_EINVAL;
	if (!v->set)
		return KEEL_ENOTFOUND;
	*out = (int)v->num;
	return 0;
}

int conf_secret(const struct keel_config *cfg, const char *key, char *buf,
                size_t bufsz, size_t *len)
{
	struct conf_val *v = conf_val_find(cfg, key);
	char *data = NULL;
	const char *src;
	size_t n;
	int rc;

	if (v == NULL || v->key->type != KEEL_CFG_SECRET)
		return KEEL_EINVAL;
	if (v->secret_file != NULL) {
		rc = util_read_file(v->secret_file, &data, &n,
		                    CONF_SECRET_MAX);
		if (rc < 0)
			return rc == -ENOENT ? KEEL_ENOTFOUND : KEEL_EINVAL;
		/* Editors and `echo` add a newline that is not part of the
		 * secret. */
		if (n > 0 && data[n - 1] == '\n')
			data[--n] = '\0';
		if (n > 0 && data[n - 1] == '\r')
			data[--n] = '\0';
		src = data;
	} else if (v->secret_env != NULL) {
		src = getenv(v->secret_env);
		if (src == NULL)
			return KEEL_ENOTFOUND;
		n = strlen(src);
	} else {
		return KEEL_ENOTFOUND;
	}
	*len = n;
	if (bufsz == 0 || n >= bufsz) {
		rc = KEEL_ERANGE;
	} else {
		memcpy(buf, src, n);
		buf[n] = '\0';
		rc = 0;
	}
	if (data != NULL) {
		explicit_bzero(data, n);
		free(data);
	}
	return rc;
}

void conf_print_schema(FILE *out, const struct keel_config_key *schema,
                       size_t key_size)
{
	for (size_t i = 0; schema != NULL; i++) {
		const struct keel_config_key *k =
		    conf_key_at(schema, key_size, i);
		if (k->name == NULL)
			break;
		fprintf(out, "; %s (%s%s", k->help ? k->help : "",
		        conf_type_name(k->type),
		        (k->flags & KEEL_CFG_F_REQUIRED) ? ", required" : "");
		if (k->flags & KEEL_CFG_F_RANGE)
			fprintf(out, ", %lld..%lld", (long long)k->min,
			        (long long)k->max);
		fprintf(out, ")\n");
		if (k->type == KEEL_CFG_SECRET)
			fprintf(out, ";%s_file = /path/to/secret\n;%s_env = VARIABLE\n",
			        k->name, k->name);
		else if (k->def != NULL)
			fprintf(out, "%s%s = %s\n",
			        (k->flags & KEEL_CFG_F_REQUIRED) ? "" : ";",
			        k->name, k->def);
		else
			fprintf(out, ";%s =\n", k->name);
	}
}
