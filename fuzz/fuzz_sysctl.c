/* fuzz_sysctl: sysctl keys and values. The input's first line is a key,
 * the second a value, the third a second value (missing lines are empty).
 * The key goes through hr_sysctl_normalise, hr_sysctl_to_path and
 * hr_sysctl_file (inside a private temporary tree, never /proc/sys); the
 * value is written as a file of that tree and read back with
 * hr_sysctl_read (trimming), checked (hr_sysctl_value_check), compared
 * (hr_sysctl_equal), recorded as a sysctl fact (vector splitting,
 * hr_facts_set_sysctl + hr_facts_get of every field), parsed as a
 * profile value (hr_desired_parse_value), as a reserved-ports list
 * (hr_ports_reserved_in, hr_facts_ports_model) and as a kernel release
 * against the second value (hr_kernel_version_cmp). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "fuzz.h"
#include "profile.h"
#include "sysctl.h"

/* Splits the next line off *p (NUL-terminating it in place); "" at the end. */
static char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!s)
		return "";
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = NULL;
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t mark[65536 / 8];
	char norm[HR_KEY_MAX], rel[HR_KEY_MAX + 16], file[4200];
	struct hr_desired ds;
	struct hr_ports ports;
	struct hr_value v;
	struct hr_err err;
	char *text, *p, *key, *val, *val2, *back = NULL;
	const char *key_used;
	bool ok;
	int i;
	hr_facts *f;

	text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	p = text;
	key = next_line(&p);
	val = next_line(&p);
	val2 = next_line(&p);

	memset(&err, 0, sizeof(err));
	key_used = "net.ipv4.ip_local_port_range";
	if (hr_sysctl_normalise(key, norm, sizeof(norm), &err) == 0) {
		if (!norm[0])
			abort(); /* a normalised key is never empty */
		key_used = norm;
		if (hr_sysctl_to_path(norm, rel, sizeof(rel)) == 0)
			(void)hr_sysctl_file(fuzz_dir(), norm, file, sizeof(file));
	}
	if (fuzz_file("proc/sys/net/ipv4/fuzz_value", (const uint8_t *)val, strlen(val)) &&
	    hr_sysctl_read(fuzz_dir(), "net.ipv4.fuzz_value", &back) == 0) {
		(void)hr_sysctl_equal(back, val);
		free(back);
	}
	memset(&err, 0, sizeof(err));
	(void)hr_sysctl_value_check(key_used, val, &err);
	(void)hr_sysctl_equal(val, val2);
	(void)hr_sysctl_is_global(key_used);

	f = hr_facts_new();
	if (!f)
		abort();
	if (hr_facts_set_sysctl(f, key_used, val, "fuzz") == 0) {
		for (i = -1; i < 8; i++)
			(void)hr_facts_get(f, key_used, i, &v);
	}
	(void)hr_facts_set_sysctl(f, "net.ipv4.ip_local_reserved_ports", val2, "fuzz");
	(void)hr_facts_ports_model(f, 1024, 65535, val, &ports);
	hr_facts_free(f);

	memset(&ds, 0, sizeof(ds));
	memset(&err, 0, sizeof(err));
	if (hr_desired_parse_value(&ds, val, &err) == 0)
		(void)hr_desired_value_text(&ds);
	hr_desired_clear(&ds);

	memset(mark, 0, sizeof(mark));
	(void)hr_ports_reserved_in(val, 0, 65535, mark);
	(void)hr_ports_reserved_in(val, 32768, 60999, NULL);
	(void)hr_kernel_version_cmp(val, val2, &ok);
	free(text);
	return 0;
}
