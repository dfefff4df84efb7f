/* xdrcases.c -- the types of each interface (rpc/NAME.x) that fuzz_xdr and
 * fuzz_umldir decode, and that mkcorpus writes seeds of: one table each,
 * so that a seed's first byte picks the row it was made for. */
#include "xdrcases.h"

#include <string.h>

#include "umldir.h"
#include "umlmonctrl.h"

/* the string arguments, each with the bound its IDL gives it */
bool_t xdr_um_name_arg(XDR *x, um_name_arg *s)
{
	return xdr_string(x, s, UM_NAME_MAX);
}

bool_t xdr_um_msg_arg(XDR *x, um_msg_arg *s)
{
	return xdr_string(x, s, UM_MSG_MAX);
}

bool_t xdr_ud_name_arg(XDR *x, ud_name_arg *s)
{
	return xdr_string(x, s, UD_NAME_MAX);
}

const struct xdr_case xdr_ctrl_cases[] = {
	/* arguments, as a monitor decodes them */
	XDR_CASE(um_stop_args), /* STOP, REBOOT */
	XDR_CASE(um_name_arg),	/* SYSRQ, CONSOLE_SCREEN */
	XDR_CASE(um_msg_arg),	/* MCONSOLE */
	XDR_CASE(um_open_args),
	XDR_CASE(um_read_args),
	XDR_CASE(um_write_args),
	XDR_CASE(um_winsize_args),
	XDR_CASE(um_log_args),
	XDR_CASE(um_disk_args),
	XDR_CASE(um_wait_args),
	XDR_CASE(um_auth_hello),
	XDR_CASE(um_auth_proof),
	XDR_CASE(um_device_args),
	XDR_CASE(um_device_remove_args),
	/* results, as a client decodes them */
	XDR_CASE(um_result),
	XDR_CASE(um_info),
	XDR_CASE(um_text_res),
	XDR_CASE(um_open_res),
	XDR_CASE(um_read_res),
	XDR_CASE(um_screen_res),
	XDR_CASE(um_log_res),
	XDR_CASE(um_disk_res),
	XDR_CASE(um_progress_res),
	XDR_CASE(um_auth_challenge),
	XDR_CASE(um_auth_result),
};
const size_t xdr_ctrl_ncases = sizeof(xdr_ctrl_cases) / sizeof(xdr_ctrl_cases[0]);

const struct xdr_case xdr_dir_cases[] = {
	/* arguments, as umldir decodes them */
	XDR_CASE(ud_name_arg), /* GET_PORT, REDIRECT */
	XDR_CASE(ud_register_args),
	XDR_CASE(ud_state_args),
	/* results, as its clients decode them */
	XDR_CASE(ud_result),
	XDR_CASE(ud_list_res),
	XDR_CASE(ud_port_res),
};
const size_t xdr_dir_ncases = sizeof(xdr_dir_cases) / sizeof(xdr_dir_cases[0]);

int xdr_case_find(const struct xdr_case *cases, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cases[i].name, name))
			return (int)i;
	return -1;
}
