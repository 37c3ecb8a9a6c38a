/*
 * pbjson_priv.h -- what the encoder (pbjson.c) and the decoder
 * (pbjson_read.c) share; not part of libkeeljson's API.
 */
#ifndef KEEL_PBJSON_PRIV_H
#define KEEL_PBJSON_PRIV_H

#include <protobuf-c/protobuf-c.h>

/* Well-known types with a JSON form of their own. */
enum pbjson_wkt {
	PBJSON_WKT_NONE = 0,
	PBJSON_WKT_TIMESTAMP,
	PBJSON_WKT_DURATION,
	PBJSON_WKT_ANY,
	PBJSON_WKT_FIELD_MASK,
	PBJSON_WKT_STRUCT,
	PBJSON_WKT_VALUE,
	PBJSON_WKT_LIST_VALUE,
	PBJSON_WKT_EMPTY,
	PBJSON_WKT_WRAPPER, /* DoubleValue ... BytesValue: field 1 bare */
};

enum pbjson_wkt pbjson__wkt(const ProtobufCMessageDescriptor *d);

/* Timestamp and Duration limits of the proto3 JSON mapping. */
#define PBJSON_TS_MIN  INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define PBJSON_TS_MAX  INT64_C(253402300799) /* 9999-12-31T23:59:59Z */
#define PBJSON_DUR_MAX INT64_C(315576000000) /* 10000 years */

#endif /* KEEL_PBJSON_PRIV_H */
