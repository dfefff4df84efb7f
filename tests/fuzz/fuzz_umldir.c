/* fuzz_umldir.c -- the XDR routines of rpc/umldir.x (xdrcases.c): the
 * arguments umldir decodes (from anyone on its TCP ports, from monitors
 * on its socket) and the results its clients decode. */
#include "fuzz.h"
#include "xdrcases.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xdrfuzz_one(xdr_dir_cases, xdr_dir_ncases, data, size);
	return 0;
}
