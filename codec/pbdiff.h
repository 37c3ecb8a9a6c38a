/*
 * pbdiff.h -- compare protobuf-c messages field by field, and a
 * deterministic digest of one.  libkeeljson.
 *
 * Registration idempotency (flyteadmin: identical re-registration is
 * ALREADY_EXISTS, different content under the same version is
 * INVALID_ARGUMENT naming the difference) needs both: the digest to store
 * with a row and compare cheaply, the diff to say what changed.  Generic:
 * driven by protobuf-c's descriptors, like pbjson.  Thread-safe, no state.
 *
 * What "equal" means (the diff and the digest agree on it: equal messages
 * always give equal digests): what protobuf_c_message_pack() would put on
 * the wire, since that is what a stored copy reads back as, up to map
 * entry order.  So:
 *   - a proto3 field counts when it is not zero: numbers by value (0.0
 *     and -0.0 are both unset; set floats compare by bit pattern, so a NaN
 *     equals the same NaN), strings when non-empty, bytes when not
 *     zero-length, message fields when the pointer is non-NULL -- an unset
 *     message and a set-but-empty one differ ("field: set != unset"), as
 *     they do on the wire and to has_field() in every protobuf runtime;
 *   - proto3 `optional` and proto2 optional fields by their has_ flag
 *     (strings and messages: non-NULL and not the default); oneof members
 *     when the case names them and, for strings and messages, the pointer
 *     is neither NULL nor the default (protobuf-c drops those on packing);
 *   - repeated fields element by element; a NULL element of a repeated
 *     message is an empty message, a NULL string "" (as protobuf-c packs
 *     them);
 *   - maps (see pbjson_is_map) as key -> value sets: entry order does not
 *     matter and, as when parsing, the last of several entries with the
 *     same key wins; keys compare by value (a proto2 entry's has_key is
 *     not looked at);
 *   - unknown fields (protobuf-c keeps them) in their stored order, by
 *     number, wire type and bytes.
 */
#ifndef KEEL_PBDIFF_H
#define KEEL_PBDIFF_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/*
 * Compare a and b, of the same type, field by field in field-number order
 * (unknown fields last).  Returns 0 when equal, 1 when they differ, with
 * the first difference written to buf[0..n) (NUL-terminated, truncated to
 * fit; buf may be NULL when n is 0; "" when equal), e.g.
 *   template.container.image: "ghcr.io/a:1" != "ghcr.io/a:2"
 *   template.interface.inputs.variables["x"]: only in the first
 *   template.custom.fields["k"].number_value: unset != 7
 *   template.metadata: set != unset
 *   template.container.args: 3 elements != 2
 *   template.container.args[1]: "a" != "b"
 *   template.metadata.retries.retries: 0 != 3
 *   state: ARCHIVED != ACTIVE
 *   template.#17: 0x01 != 0x02                   (unknown field 17)
 * Paths use .proto field names, [i] for list elements and ["key"] (or
 * [5], [true]) for map keys.  Strings are quoted and escaped, bytes shown
 * as hex, enums by value name; long values are cut to about 60
 * characters around the first differing byte ("..." marks a cut).  The
 * first difference is found depth-first: the lowest-numbered field that
 * differs, and inside it the same again; in a list the first differing
 * element, else the lengths; in a map the smallest key that differs.
 * Returns -1 with errno: EINVAL (a or b NULL, different types, a malformed
 * message: elements counted but no array, a sub-message of the wrong
 * type), ELOOP (nested deeper than 400), ENOMEM.
 */
int pbdiff_first(const ProtobufCMessage *a, const ProtobufCMessage *b,
                 char *buf, size_t n);

/*
 * The canonical serialization: protobuf binary exactly as
 * protobuf_c_message_pack() writes it (fields in number order, packed
 * repeated scalars as protobuf-c packs them, unknown fields last in stored
 * order), except that map entries are written sorted by key with
 * duplicates dropped (protobuf-c keeps insertion order, so two equal maps
 * could otherwise pack differently).  So a message without maps of two or
 * more entries packs to the same bytes as with protobuf-c (proto3 map
 * entries; a proto2 entry's key is written when non-zero, whatever its
 * has_key), and any protobuf runtime decodes it.  Written by our own
 * descriptor walk (tag + value per field, sub-messages written in place
 * and their length prefix slid in front), rather than by packing
 * sub-messages with protobuf-c and sorting the packed entries: a map
 * anywhere below would defeat that.  malloc'd, the caller frees; *len the
 * size (may be 0: an empty message gives a non-NULL zero-length buffer).
 * NULL with errno EINVAL, ELOOP, ENOMEM.
 */
uint8_t *pbdiff_canonical(const ProtobufCMessage *m, size_t *len);

/*
 * SHA-256 (OpenSSL EVP) of pbdiff_canonical(m).  The type is not hashed:
 * compare digests of messages of one type only.  The same message always
 * gives the same digest; equal messages (per pbdiff_first) give equal
 * digests.  out: 32 bytes.  0, or -1 with errno (ENOMEM; EINVAL, ELOOP as
 * pbdiff_canonical).
 */
int pbdiff_digest(const ProtobufCMessage *m, uint8_t out[32]);

/* The digest as 64 lowercase hex characters and a NUL. */
void pbdiff_hex(const uint8_t d[32], char out[65]);

#endif /* KEEL_PBDIFF_H */
