/*
 * validate.c -- Kubernetes name rules.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "util.h"
#include "validate.h"

static int validate_is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int validate_is_alnum(char c)
{
	return isalnum((unsigned char)c) && (unsigned char)c < 0x80;
}

static int validate_label_chars(const char *s, size_t n)
{
	if (!validate_is_lower_alnum(s[0]) || !validate_is_lower_alnum(s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!validate_is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int validate_dns1123_label(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (n > 63) {
		util_fmt(why, whylen, "must be no more than 63 characters");
		return 0;
	}
	if (n == 0 || !validate_label_chars(s, n)) {
		util_fmt(why, whylen,
		         "a lowercase RFC 1123 label must consist of lower case "
		         "alphanumeric characters or '-', and must start and "
		         "end with an alphanumeric character (e.g. 'my-name', "
		         "or '123-abc', regex used for validation is "
		         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
		return 0;
	}
	return 1;
}

int validate_dns1123_subdomain(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n > 253) {
		util_fmt(why, whylen, "must be no more than 253 characters");
		return 0;
	}
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || !validate_label_chars(p, len)) {
			util_fmt(why, whylen,
			         "a lowercase RFC 1123 subdomain must consist "
			         "of lower case alphanumeric characters, '-' "
			         "or '.', and must start and end with an "
			         "alphanumeric character (e.g. "
			         "'example.com')");
			return 0;
		}
		if (dot == NULL)
			return 1;
		p = dot + 1;
	}
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? of length 1..63 */
static int validate_name_part(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return 0;
	if (!validate_is_alnum(s[0]) || !validate_is_alnum(s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!validate_is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return 0;
	return 1;
}

static const char validate_name_msg[] =
	"name part must consist of alphanumeric characters, '-', '_' or "
	"'.', and must start and end with an alphanumeric character (e.g. "
	"'MyName', or 'my.name', or '123-abc', regex used for validation is "
	"'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

int validate_qualified_name(const char *s, char *why, size_t whylen)
{
	const char *slash = strchr(s, '/');
	const char *name = s;

	if (slash != NULL) {
		char prefix[256];
		size_t pl = (size_t)(slash - s);
		if (strchr(slash + 1, '/') != NULL) {
			util_fmt(why, whylen,
			         "a qualified name must consist of an optional "
			         "DNS subdomain prefix and '/' and a name");
			return 0;
		}
		if (pl == 0 || pl >= sizeof(prefix)) {
			util_fmt(why, whylen, "prefix part must be non-empty "
			                      "and at most 253 characters");
			return 0;
		}
		memcpy(prefix, s, pl);
		prefix[pl] = '\0';
		if (!validate_dns1123_subdomain(prefix, why, whylen))
			return 0;
		name = slash + 1;
	}
	if (strlen(name) > 63) {
		util_fmt(why, whylen,
		         "name part must be no more than 63 characters");
		return 0;
	}
	if (!validate_name_part(name, strlen(name))) {
		util_fmt(why, whylen, "%s", validate_name_msg);
		return 0;
	}
	return 1;
}

int validate_label_value(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (n == 0)
		return 1;
	if (n > 63) {
		util_fmt(why, whylen, "must be no more than 63 characters");
		return 0;
	}
	if (!validate_name_part(s, n)) {
		util_fmt(why, whylen,
		         "a valid label must be an empty string or consist of "
		         "alphanumeric characters, '-', '_' or '.', and must "
		         "start and end with an alphanumeric character (e.g. "
		         "'MyValue', or 'my_value', or '12345')");
		return 0;
	}
	return 1;
}
