/*
 * pbjson.h -- protobuf-c messages to and from JSON (the proto3 JSON
 * mapping), and to YAML.  libkeeljson.
 *
 * Generic: driven by protobuf-c's descriptors, no per-message code, plus a
 * registry of every message type compiled into Keel (built from gen/ at
 * build time) for google.protobuf.Any and type URLs.  Used by keelctl's
 * -o json|yaml and meant to serve the REST gateway too.  Thread-safe: no
 * state but the registry, which is sorted once (pthread_once).
 *
 * The mapping when writing
 * (https://protobuf.dev/programming-guides/proto3/#json):
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
 *   - google.protobuf.Any whose type URL (the part after the last '/')
 *     names a registered type: {"@type": "<type_url>", <the embedded
 *     message's fields>}, or {"@type": "<type_url>", "value": <its JSON>}
 *     when the embedded type is a well-known type with a JSON form of its
 *     own (Timestamp, Duration, the wrappers, Struct, Value, ListValue,
 *     FieldMask, Empty, Any).  An unregistered type, or bytes that do not
 *     parse as the type, fall back to {"@type": "<type_url>", "value":
 *     "<base64 of the serialized message>"} (which pbjson_decode rejects:
 *     it only accepts the proto3 form).
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

/* A map field: protobuf-c has no map flag, so a repeated field of a
 * message type named "...Entry" with exactly key = 1 and value = 2. */
int pbjson_is_map(const ProtobufCFieldDescriptor *f);

/* Bytes one value of type t takes in a protobuf-c message (repeated
 * fields are arrays of these). */
size_t pbjson_elem_size(ProtobufCType t);

/* Length of the valid UTF-8 sequence at s[0..n) (n > 0): shortest form,
 * no surrogates, at most U+10FFFF; 0 when invalid. */
size_t pbjson_utf8_len(const unsigned char *s, size_t n);

/* protoc's ToJsonName: "control_plane_version" -> "controlPlaneVersion".
 * Writes at most cap bytes including the NUL; returns the full length. */
size_t pbjson_json_name(const char *proto_name, char *buf, size_t cap);

/* ---- type registry ---------------------------------------------------- */

/* The descriptor of a registered message type by full name
 * ("flyteidl.admin.Project") or type URL ("type.googleapis.com/
 * flyteidl.admin.Project": whatever follows the last '/'); NULL when
 * unknown.  The registry holds every message of gen/: flyteidl, the
 * google.* types compiled in (google.protobuf.Any included) and Keel's
 * envelope. */
const ProtobufCMessageDescriptor *pbjson_find_type(const char *full_name);

/* The registry in full-name order: pbjson_type_at(0 ..
 * pbjson_type_count() - 1); NULL past the end. */
size_t pbjson_type_count(void);
const ProtobufCMessageDescriptor *pbjson_type_at(size_t i);

/* ---- reading JSON ----------------------------------------------------- */

/*
 * The mapping when reading (https://protobuf.dev/programming-guides/
 * proto3/#json), the inverse of the above and lenient where proto3 says so:
 *   - field names: the .proto name or the lowerCamelCase one (ToJsonName);
 *     the same field twice (under either name) is an error; unknown fields
 *     are errors unless ignore_unknown, which also skips unknown enum
 *     names (the field stays unset, a repeated element or map entry is
 *     dropped);
 *   - null for any field leaves it unset, except google.protobuf.Value
 *     (NullValue) and the NullValue enum; null inside an array or as a map
 *     value is an error unless the element type is Value;
 *   - 32- and 64-bit integers from numbers or strings holding a JSON
 *     number; exponents are fine when the value is integral ("1e2"), a
 *     fraction or an out-of-range value is an error, as is a negative
 *     unsigned; floats from numbers, numeric strings, "NaN", "Infinity",
 *     "-Infinity" (a finite double beyond float's range is an error for
 *     float); bools from true/false only;
 *   - strings: valid UTF-8 only, every JSON escape, surrogate pairs joined
 *     and lone surrogates rejected; protobuf-c strings are NUL-terminated,
 *     so a string field, map key or Struct key containing \u0000 is an
 *     error (bytes fields may hold any byte);
 *   - bytes from standard or URL-safe base64 (one alphabet per value),
 *     padded or not;
 *   - enums by value name or by number (any int32);
 *   - a oneof takes at most one member; a second one is an error naming
 *     both;
 *   - maps from objects, keys converted to the key type ("true"/"false",
 *     decimal integers); the same key twice is an error; repeated fields
 *     from arrays;
 *   - Timestamp from RFC 3339 with an upper-case 'T', 0-9 fractional
 *     digits and "Z" or a +hh:mm/-hh:mm offset, 0001-01-01..9999-12-31
 *     UTC; Duration from "<seconds>[.<1-9 digits>]s" within
 *     +-315576000000 s; the wrappers from their bare value; Struct, Value
 *     and ListValue from any JSON; FieldMask from comma-joined
 *     lowerCamelCase paths (back to snake_case); Empty from {};
 *   - Any from {"@type": "<url>", ...} with "@type" anywhere among the
 *     members: the type must be registered; the other members (or "value"
 *     for a well-known type with its own JSON form) are read as that type
 *     and packed into Any.value; {} is an empty Any;
 *   - at most max_depth nested objects and arrays (Any's embedded
 *     messages included); nothing but whitespace after the value.
 * Reading never looks past json[len - 1].  Numbers go through strtod()
 * and snprintf(), so LC_NUMERIC must stay "C" (Keel never calls
 * setlocale()).
 */
struct pbjson_read_opts {
	int ignore_unknown; /* 1: skip unknown fields; 0 (default): error
	                       naming the field */
	int max_depth;      /* nesting limit; 0: 64.  Each level costs a few
	                       hundred bytes of stack. */
};

/*
 * Parse json[0..len) (need not be NUL-terminated) as a message of type
 * desc.  Everything is allocated with alloc (NULL: malloc/free, as
 * protobuf-c's own default), laid out like protobuf_c_message_unpack()
 * output, so that protobuf_c_message_free_unpacked(*out, alloc) frees it
 * all.  opts may be NULL (defaults).  Returns 0, or -1 with errno (EINVAL
 * bad input, ENOMEM), *out NULL, and a message in err[0..errlen) (err may
 * be NULL) naming the JSON path and the problem, e.g.
 *   field "id.projet": unknown field in
 *     flyteidl.admin.NamedEntityIdentifier
 *   field "limit": 4294967296 out of range for uint32
 *   at byte 17: expected ':'
 * (paths use the names as written, "[i]" for array elements and "[key]"
 * for map entries; "top level: ..." for the value itself).
 */
int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json,
                  size_t len, const struct pbjson_read_opts *opts,
                  ProtobufCAllocator *alloc, ProtobufCMessage **out, char *err,
                  size_t errlen);

/*
 * Set one field of m addressed by a dotted path of proto or JSON names
 * ("sort_by.key", "sortBy.key", "id.project") from a string value, the
 * way grpc-gateway maps URL path variables and query parameters: scalars
 * parsed from text (integers in decimal with an optional sign, bool
 * true/false, bytes base64 (std or url-safe, padding optional), floats as
 * strtod reads them incl. NaN/Infinity), strings as given (valid UTF-8),
 * enums by name or number, Timestamp/Duration/FieldMask and the wrappers
 * from their JSON string forms.  A repeated field gets the value
 * appended; a singular one is replaced (the old string, bytes or message
 * freed with alloc).  Intermediate messages are created with alloc (a
 * oneof member only when no other member of its oneof is set).  A path
 * through a repeated or map field, or ending at a message field (other
 * than the well-known types above) or a map, is an error.
 * m must be laid out like protobuf_c_message_unpack() output made with
 * alloc (pbjson_decode, pbjson_message_new).  Same return/err contract as
 * pbjson_decode; on error m is left valid (unchanged, or with empty
 * intermediate messages created).
 */
int pbjson_set_path(ProtobufCMessage *m, const char *path, const char *value,
                    ProtobufCAllocator *alloc, char *err, size_t errlen);

/* A message of type desc at its defaults, allocated with alloc (NULL:
 * malloc), for building requests with pbjson_set_path; free it with
 * protobuf_c_message_free_unpacked(m, alloc).  NULL when out of memory. */
ProtobufCMessage *pbjson_message_new(const ProtobufCMessageDescriptor *desc,
                                     ProtobufCAllocator *alloc);

#endif /* KEEL_PBJSON_H */
