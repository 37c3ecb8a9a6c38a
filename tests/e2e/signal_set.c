/*
 * signal_set.c -- SetSignal over keeld's internal API, for local_exec.sh
 * (keelctl has no signal command; neither has flytectl).
 *
 *   signal_set ENDPOINT PROJECT DOMAIN EXECUTION SIGNAL INTEGER
 *
 * Exit 0 when keeld took the value, 1 with its status otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <keel/keel_client.h>

#include "flyteidl/admin/signal.pb-c.h"
#include "flyteidl/core/literals.pb-c.h"

int main(int argc, char **argv)
{
	Flyteidl__Admin__SignalSetRequest q =
	    FLYTEIDL__ADMIN__SIGNAL_SET_REQUEST__INIT;
	Flyteidl__Core__SignalIdentifier sid =
	    FLYTEIDL__CORE__SIGNAL_IDENTIFIER__INIT;
	Flyteidl__Core__WorkflowExecutionIdentifier xid =
	    FLYTEIDL__CORE__WORKFLOW_EXECUTION_IDENTIFIER__INIT;
	Flyteidl__Core__Literal lit = FLYTEIDL__CORE__LITERAL__INIT;
	Flyteidl__Core__Scalar sc = FLYTEIDL__CORE__SCALAR__INIT;
	Flyteidl__Core__Primitive pr = FLYTEIDL__CORE__PRIMITIVE__INIT;
	struct keel_client *c = NULL;
	struct keel_client_reply r = {0};
	char err[256];
	uint8_t buf[1024];
	size_t n;
	int rc;

	if (argc != 7) {
		fprintf(stderr, "usage: signal_set ENDPOINT PROJECT DOMAIN "
		                "EXECUTION SIGNAL INTEGER\n");
		return 2;
	}
	xid.project = argv[2];
	xid.domain = argv[3];
	xid.name = argv[4];
	sid.signal_id = argv[5];
	sid.execution_id = &xid;
	pr.value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	pr.integer = strtoll(argv[6], NULL, 10);
	sc.value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	sc.primitive = &pr;
	lit.value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	lit.scalar = &sc;
	q.id = &sid;
	q.value = &lit;
	n = protobuf_c_message_pack(&q.base, buf);
	if (keel_client_open(argv[1], &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "signal_set: %s\n", err);
		return 1;
	}
	rc = keel_client_call(c, "/flyteidl.service.SignalService/SetSignal",
	                      buf, n, NULL, &r);
	if (rc != 0)
		fprintf(stderr, "signal_set: %s: %s\n",
		        keel_client_code_name(rc), r.message);
	keel_client_reply_free(&r);
	keel_client_close(c);
	return rc == 0 ? 0 : 1;
}
