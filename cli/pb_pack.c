/*
 * pb_pack.c -- a test helper: `pb_pack TYPE < msg.json > msg.pb` writes the
 * proto3 JSON on stdin as serialized protobuf of TYPE (a registered full
 * name, "flyteidl.admin.TaskSpec"), so that tests can build the .pb files
 * and archives `pyflyte package` would.  Exit 0, or 2 with a message.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "pbjson.h"

int main(int argc, char **argv)
{
	const ProtobufCMessageDescriptor *d;
	ProtobufCMessage *m = NULL;
	char *json = NULL, err[512];
	uint8_t *out = NULL;
	size_t len = 0, n;
	int rc = 2;

	if (argc != 2) {
		fprintf(stderr, "usage: pb_pack TYPE < in.json > out.pb\n");
		return 2;
	}
	d = pbjson_find_type(argv[1]);
	if (!d) {
		fprintf(stderr, "pb_pack: unknown type %s\n", argv[1]);
		return 2;
	}
	if (cli_read_stream(stdin, "<stdin>", (size_t)64 << 20, &json, &len,
	                    err, sizeof err) < 0 ||
	    pbjson_decode(d, json, len, NULL, NULL, &m, err, sizeof err) < 0) {
		fprintf(stderr, "pb_pack: %s\n", err);
		goto out;
	}
	n = protobuf_c_message_get_packed_size(m);
	out = malloc(n ? n : 1);
	if (!out) {
		fprintf(stderr, "pb_pack: out of memory\n");
		goto out;
	}
	protobuf_c_message_pack(m, out);
	if (fwrite(out, 1, n, stdout) != n || fflush(stdout) != 0) {
		fprintf(stderr, "pb_pack: cannot write\n");
		goto out;
	}
	rc = 0;
out:
	free(out);
	free(json);
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	return rc;
}
