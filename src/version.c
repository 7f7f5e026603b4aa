// SPDX-License-Identifier: MIT
/*
 * The library's version. See include/tce/version.h.
 */
#include "tce/version.h"

const char *tce_version(void)
{
	return TCE_VERSION_STRING;
}
