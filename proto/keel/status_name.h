/*
 * status_name.h -- names of gRPC status codes, the codes every Keel
 * envelope, door and client speaks.  Lives with the envelope library
 * (libkeelenv), which both keeld and libkeelclient link.
 */
#ifndef KEEL_STATUS_NAME_H
#define KEEL_STATUS_NAME_H

/* "NOT_FOUND" for 5, ...; "UNKNOWN" for anything out of range. */
const char *status_code_name(int code);

#endif
