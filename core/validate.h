/*
 * validate.h -- Kubernetes-style name rules Flyte Admin applies to
 * projects and labels (k8s.io/apimachinery util/validation).
 *
 * Each check returns 1 when s is valid; otherwise 0 with a human reason in
 * why (worded like Kubernetes' messages, which Flyte users already see).
 */
#ifndef KEEL_CORE_VALIDATE_H
#define KEEL_CORE_VALIDATE_H

#include <stddef.h>

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes. */
int validate_dns1123_label(const char *s, char *why, size_t whylen);
/* RFC 1123 subdomain: labels joined by '.', at most 253 bytes. */
int validate_dns1123_subdomain(const char *s, char *why, size_t whylen);
/* Label key: [prefix/]name, prefix a DNS subdomain, name at most 63 of
 * [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?. */
int validate_qualified_name(const char *s, char *why, size_t whylen);
/* Label value: empty, or at most 63 of the name characters. */
int validate_label_value(const char *s, char *why, size_t whylen);

#endif
