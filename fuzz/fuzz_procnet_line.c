/* fuzz_procnet_line: hr_procnet_parse_line() alone, the hot loop of the
 * /proc/net/tcp{,6} parser, at full speed. The first byte's low bit picks
 * the family; every following line (split at newlines) is parsed from an
 * exact-size copy, so reading one byte past the line is an ASan report. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "procnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p, *e = data + size, *nl;
	struct hr_sock s;
	const char *why;
	size_t len;
	char *copy;
	int family;

	if (size < 1)
		return 0;
	family = data[0] & 1 ? AF_INET6 : AF_INET;
	for (p = data + 1; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (!nl)
			nl = e;
		len = (size_t)(nl - p);
		copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, p, len);
		why = NULL;
		if (hr_procnet_parse_line(copy, len, family, &s, &why) < 0) {
			if (!why)
				abort(); /* an error names its column */
		} else if (s.state <= 0 || s.state >= HR_TCP_NSTATES || s.family != family) {
			abort(); /* a parsed socket has a known state */
		}
		free(copy);
	}
	return 0;
}
