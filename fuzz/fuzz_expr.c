/* fuzz_expr: the expression language end to end. Each input is one
 * expression source: lexed and parsed (hr_expr_parse), bound and
 * type-checked against a fixed names table (numbers, booleans, null, a
 * string, a missing fact, a two-field vector, the kernel release, a name
 * whose lookup fails), then evaluated, its truth taken, its value
 * formatted and its source filled with values. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "fuzz.h"

enum { K_VAL = 1, K_VEC, K_KERN, K_BAD };

static const struct {
	const char *name;
	enum hr_xtype t;
	double num;
	const char *str;
	enum hr_stype stype;
} names[] = {
	{"a", HR_X_NUM, 1, NULL, HR_S_NUM},
	{"b", HR_X_NUM, 2, NULL, HR_S_NUM},
	{"zero", HR_X_NUM, 0, NULL, HR_S_ANY},
	{"neg", HR_X_NUM, -1.5, NULL, HR_S_NUM},
	{"big", HR_X_NUM, 1e308, NULL, HR_S_NUM},
	{"t", HR_X_BOOL, 1, NULL, HR_S_BOOL},
	{"f", HR_X_BOOL, 0, NULL, HR_S_BOOL},
	{"n", HR_X_NULL, 0, NULL, HR_S_ANY},
	{"s", HR_X_STR, 0, "cubic", HR_S_STR},
	{"empty", HR_X_STR, 0, "", HR_S_STR},
	{"net.ipv4.tcp_tw_reuse", HR_X_NUM, 2, NULL, HR_S_ANY},
	{"net.ipv4.tcp_rto_max_ms", HR_X_MISSING, 0, NULL, HR_S_ANY},
	{"snmp.Tcp.ActiveOpens", HR_X_NUM, 123456, NULL, HR_S_NUM},
	{"anystr", HR_X_STR, 0, "x", HR_S_ANY},
};
static const double vec[2] = {32768, 60999};

/* FNV-1a of a name. */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/* Binds a name from the table (kind, slot, static type), or refuses it. */
static int resolve(void *ud, const char *name, bool indexed, int *kind, int *slot, enum hr_stype *st,
		   char *msg, size_t n)
{
	size_t i;

	(void)ud;
	if (!strcmp(name, "net.ipv4.ip_local_port_range")) {
		*kind = K_VEC;
		*slot = 0;
		*st = HR_S_ANY;
		return 0;
	}
	if (!strcmp(name, "kernel")) {
		*kind = K_KERN;
		*slot = 0;
		*st = HR_S_VERSION;
		return 0;
	}
	if (!strcmp(name, "bad")) {
		*kind = K_BAD;
		*slot = 0;
		*st = HR_S_ANY;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i].name, name)) {
			if (indexed) {
				snprintf(msg, n, "'%s' cannot be indexed", name);
				return -EINVAL;
			}
			*kind = K_VAL;
			*slot = (int)i;
			*st = names[i].stype;
			return 0;
		}
	/* Any other name binds too (the rules' own names), to a table row
	 * picked by its hash, or to the vector when indexed; names starting
	 * with "unknown" are refused, to keep the binder's error path. */
	if (!strncmp(name, "unknown", 7)) {
		snprintf(msg, n, "unknown name '%s'", name);
		return -ENOENT;
	}
	*kind = indexed ? K_VEC : K_VAL;
	*slot = (int)(hash(name) % (sizeof(names) / sizeof(names[0])));
	*st = HR_S_ANY;
	return 0;
}

/* Looks a bound name up in the table; the vector checks its index. */
static int lookup(struct hr_xctx *x, int kind, int slot, const char *name, int index, struct hr_xval *out)
{
	memset(out, 0, sizeof(*out));
	switch (kind) {
	case K_VEC:
		if (index < 0 || index > 1) {
			hr_xctx_fail(x, "index %d out of range for %s (2 fields)", index, name);
			return -EDOM;
		}
		out->t = HR_X_NUM;
		out->num = vec[index];
		return 0;
	case K_KERN:
		out->t = HR_X_STR;
		out->str = "6.8.0-45-generic";
		out->version = true;
		return 0;
	case K_BAD:
		hr_xctx_fail(x, "lookup failed");
		return -EIO;
	}
	if (slot < 0 || (size_t)slot >= sizeof(names) / sizeof(names[0]))
		abort(); /* the binder handed back a slot it was never given */
	out->t = names[slot].t;
	out->num = names[slot].num;
	out->str = names[slot].t == HR_X_MISSING ? names[slot].name : names[slot].str;
	out->why = "absent on this kernel";
	return 0;
}

/* Counts name references (exercises the walk). */
static void count_name(void *ud, const char *name, int kind, int slot)
{
	(void)name;
	(void)kind;
	(void)slot;
	(*(size_t *)ud)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_diags d = {NULL, 0};
	struct hr_xctx x;
	struct hr_xval v;
	char buf[128];
	const char *nm;
	size_t refs = 0;
	bool truth;
	char *src, *filled;
	hr_expr *e;

	src = fuzz_cstr(data, size);
	if (!src)
		return 0;
	e = hr_expr_parse(src, "fuzz.yaml", 1, 1, &d);
	if (e && hr_expr_bind(e, resolve, NULL, &d) >= 0) {
		hr_expr_foreach_name(e, count_name, &refs);
		(void)hr_expr_is_name(e, &nm);
		memset(&x, 0, sizeof(x));
		x.lookup = lookup;
		if (hr_expr_eval(e, &x, &v) == 0) {
			hr_xval_str(&v, buf, sizeof(buf));
			(void)hr_xval_truth(&v, &x, e, &truth);
		}
		memset(&x, 0, sizeof(x));
		x.lookup = lookup;
		filled = hr_expr_fill(e, &x);
		free(filled);
	}
	hr_expr_free(e);
	hr_diags_clear(&d);
	free(src);
	return 0;
}
