/* fuzz_xdr.c -- the XDR routines of rpc/umlmonctrl.x (xdrcases.c): every
 * procedure's argument, as a monitor decodes it, and every result, as
 * umlwatch decodes it in a reply (a TCP client may reach a server that
 * is not a monitor). */
#include "fuzz.h"
#include "xdrcases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xdrfuzz_one(xdr_ctrl_cases, xdr_ctrl_ncases, data, size);
	return 0;
}
