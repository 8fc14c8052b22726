/*
 * Error strings, generated from the one list in serguard/err.h.
 */
#include "serguard/err.h"

const char *sg_strerror(int err)
{
	switch (err) {
	case SG_OK:
		return "success";
#define SG__ERR_STR(name, val, msg)                                            \
	case SG_##name:                                                        \
		return msg;
		SG_ERRNO_MAP(SG__ERR_STR)
#undef SG__ERR_STR
	default:
		return "unknown error";
	}
}

const char *sg_errname(int err)
{
	switch (err) {
	case SG_OK:
		return "SG_OK";
#define SG__ERR_NAME(name, val, msg)                                           \
	case SG_##name:                                                        \
		return "SG_" #name;
		SG_ERRNO_MAP(SG__ERR_NAME)
#undef SG__ERR_NAME
	default:
		return "SG_E?";
	}
}
