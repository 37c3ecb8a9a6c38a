/*
 * pbjson.h -- protobuf-c messages to JSON (proto3 JSON mapping) and YAML.
 *
 * Generic: driven by protobuf-c's descriptors, no per-message code.  Used
 * by keelctl's -o json|yaml and meant to serve the REST gateway too.
 *
 * The mapping (https://protobuf.dev/programming-guides/proto3/#json):
 *   - field names: lowerCamelCase as protoc's ToJsonName makes them (drop
 *     '_', upper-case the next letter), or the .proto names; protobuf-c does
 *     not keep a field's json_name option, so a custom json_name is not
 *     honoured;
 *   - fields in field-number order (protobuf-c does not keep declaration
 *     order), or sorted by name with sort_keys;
 *   - enums by value name (a number when the value is unknown);
 *     google.protobuf.NullValue as null;
 *   - int64, uint64, sint64, fixed64, sfixed64 as decimal strings; 32-bit
 *     integers as numbers; float/double in shortest round-trip form, "NaN",
 *     "Infinity", "-Infinity" as strings;
 *   - bytes as standard base64 with padding; strings as UTF-8, with '"',
 *     '\\' and control characters escaped; invalid UTF-8 becomes U+FFFD;
 *   - repeated fields as arrays; map fields (a repeated field of a message
 *     type named "...Entry" with exactly key = 1 and value = 2) as objects;
 *   - a oneof only by its set member; proto3 `optional` fields only when
 *     set, even with emit_defaults;
 *   - emit_defaults (protojson's EmitUnpopulated): unset scalars as their
 *     zero value, unset messages as null, empty repeated fields as [] and
 *     empty maps as {};
 *   - well-known types: Timestamp as RFC 3339 UTC with 0, 3, 6 or 9
 *     fractional digits ("2024-05-01T12:00:00.123Z"), Duration as seconds
 *     ("1.500s"), the wrappers (StringValue, ...) as their bare value,
 *     Struct/Value/ListValue as plain JSON, FieldMask as a comma-joined
 *     lowerCamelCase string, Empty as {};
 *   - google.protobuf.Any: protobuf-c has no type registry, so an Any is
 *     written as {"@type": "<type_url>", "value": "<base64 of the
 *     serialized message>"} instead of the embedded message's fields.
 *
 * Timestamps outside 0001-01-01..9999-12-31 and Durations beyond
 * +-315576000000 s are errors (EINVAL), as in the reference
 * implementations.
 *
 * YAML is the same walk written in block style, the way flytectl's output
 * looks (its YAML is the JSON re-encoded by go-yaml): "key: value"
 * mappings indented by two spaces, sequences as "- item" at the
 * indentation of their key, strings double-quoted when a plain scalar
 * would read as something else (numbers, booleans, null, dates,
 * indicators, leading or trailing space, control characters), empty
 * containers as {} and [].
 */
#ifndef KEEL_PBJSON_H
#define KEEL_PBJSON_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

enum pbjson_format {
	PBJSON_JSON = 0,
	PBJSON_YAML = 1,
};

struct pbjson_opts {
	enum pbjson_format format;
	int proto_names;    /* 1: .proto field names; 0: lowerCamelCase */
	int emit_defaults;  /* 1: also unpopulated fields */
	int sort_keys;      /* 1: object keys in byte order */
	const char *indent; /* JSON: NULL or "" = one line, else one level of
	                       indentation ("\t", "  "); YAML: ignored */
};

struct pbjson_writer;

/* A writer with a copy of *opts (NULL: compact JSON, camelCase, defaults
 * omitted).  NULL when out of memory. */
struct pbjson_writer *pbjson_writer_new(const struct pbjson_opts *opts);

/* Write one message as a value: at the top level, or as the next element
 * of an open array.  0 or -1 with errno (ENOMEM, EINVAL: malformed or
 * out-of-range well-known value, nesting too deep); after an error the
 * writer only reports it again. */
int pbjson_write_message(struct pbjson_writer *w, const ProtobufCMessage *m);

/* Open and close an array around several messages. */
int pbjson_begin_array(struct pbjson_writer *w);
int pbjson_end_array(struct pbjson_writer *w);

/* The text written so far (NUL-terminated, no trailing newline), handed
 * over to the caller (free()), and the writer freed.  NULL with errno when
 * writing failed or containers are still open.  *len may be NULL. */
char *pbjson_writer_finish(struct pbjson_writer *w, size_t *len);

/* Free a writer without taking its text; accepts NULL. */
void pbjson_writer_free(struct pbjson_writer *w);

/* One message to a malloc'd string (see pbjson_writer_finish). */
char *pbjson_encode(const ProtobufCMessage *m, const struct pbjson_opts *opts,
                    size_t *len);

/* protoc's ToJsonName: "control_plane_version" -> "controlPlaneVersion".
 * Writes at most cap bytes including the NUL; returns the full length. */
size_t pbjson_json_name(const char *proto_name, char *buf, size_t cap);

#endif /* KEEL_PBJSON_H */
