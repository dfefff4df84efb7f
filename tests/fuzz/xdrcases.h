/* xdrcases.h -- the tables of types of fuzz_xdr and fuzz_umldir. */
#ifndef UMLMON_XDRCASES_H
#define UMLMON_XDRCASES_H

#include "xdrfuzz.h"

typedef char *um_name_arg; /* string<UM_NAME_MAX> */
typedef char *um_msg_arg;  /* string<UM_MSG_MAX> */
typedef char *ud_name_arg; /* string<UD_NAME_MAX> */
bool_t xdr_um_name_arg(XDR *x, um_name_arg *s);
bool_t xdr_um_msg_arg(XDR *x, um_msg_arg *s);
bool_t xdr_ud_name_arg(XDR *x, ud_name_arg *s);

/* rpc/umlmonctrl.x */
extern const struct xdr_case xdr_ctrl_cases[];
extern const size_t xdr_ctrl_ncases;
/* rpc/umldir.x */
extern const struct xdr_case xdr_dir_cases[];
extern const size_t xdr_dir_ncases;

/* The row of that name, or -1. */
int xdr_case_find(const struct xdr_case *cases, size_t n, const char *name);

#endif
