/* lazy.c: the registry of lazy arrays (lazy.h): each array with its item
 * count, its maker and the maker's data, held until nothing else holds the
 * array. May call: jansson. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "lazy.h"

struct lazy {
	json_t *array; /* a reference of ours */
	size_t n;
	hr_lazy_item_fn fn;
	void *ctx;
	void (*free_ctx)(void *);
};

/* A handful at a time (one per report of a probe or audit; --all-netns one
 * per namespace): a linear search is fine. */
static struct lazy *reg;
static size_t nreg, capreg;

void hr_lazy_sweep(bool all)
{
	size_t i, k = 0;

	for (i = 0; i < nreg; i++) {
		/* refcount is public in jansson.h: 1 is ours alone. */
		if (all || reg[i].array->refcount <= 1) {
			json_decref(reg[i].array);
			if (reg[i].free_ctx)
				reg[i].free_ctx(reg[i].ctx);
		} else {
			reg[k++] = reg[i];
		}
	}
	nreg = k;
	if (!nreg) {
		free(reg);
		reg = NULL;
		capreg = 0;
	}
}

json_t *hr_lazy_array(size_t n, size_t held, hr_lazy_item_fn fn, void *ctx, void (*free_ctx)(void *))
{
	json_t *a = json_array();
	size_t i;

	hr_lazy_sweep(false);
	for (i = 0; a && i < n && i < held; i++) {
		json_t *it = fn(ctx, i);

		if (!it || json_array_append_new(a, it) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	if (a && n > held) {
		if (nreg == capreg) {
			size_t cap = capreg ? capreg * 2 : 8;
			struct lazy *v = realloc(reg, cap * sizeof(*v));

			if (!v) {
				json_decref(a);
				a = NULL;
				goto out;
			}
			reg = v;
			capreg = cap;
		}
		reg[nreg++] = (struct lazy){json_incref(a), n, fn, ctx, free_ctx};
		return a;
	}
out:
	if (free_ctx)
		free_ctx(ctx);
	return a;
}

bool hr_lazy_find(const json_t *a, size_t *n, hr_lazy_item_fn *fn, const void **ctx)
{
	size_t i;

	for (i = 0; a && i < nreg; i++)
		if (reg[i].array == a) {
			*n = reg[i].n;
			*fn = reg[i].fn;
			*ctx = reg[i].ctx;
			return true;
		}
	return false;
}

size_t hr_lazy_size(const json_t *a)
{
	size_t n;
	hr_lazy_item_fn fn;
	const void *ctx;

	return hr_lazy_find(a, &n, &fn, &ctx) ? n : json_array_size(a);
}

/* A maker followed by a then (hr_lazy_then). */
struct then {
	hr_lazy_item_fn fn;
	void *ctx;
	void (*free_ctx)(void *);
	void (*then)(void *, json_t *);
	void *tctx;
	void (*free_tctx)(void *);
};

static json_t *then_item(const void *p, size_t i)
{
	const struct then *t = p;
	json_t *it = t->fn(t->ctx, i);

	if (it)
		t->then(t->tctx, it);
	return it;
}

static void then_free(void *p)
{
	struct then *t = p;

	if (t->free_tctx)
		t->free_tctx(t->tctx);
	if (t->free_ctx)
		t->free_ctx(t->ctx);
	free(t);
}

int hr_lazy_then(json_t *a, void (*then)(void *tctx, json_t *item), void *tctx, void (*free_tctx)(void *))
{
	struct then *t = NULL;
	json_t *it;
	size_t i;

	for (i = 0; json_is_array(a) && i < nreg && reg[i].array != a; i++)
		;
	if (json_is_array(a) && i < nreg) {
		t = malloc(sizeof(*t));
		if (!t) {
			if (free_tctx)
				free_tctx(tctx);
			return -ENOMEM;
		}
		*t = (struct then){reg[i].fn, reg[i].ctx, reg[i].free_ctx, then, tctx, free_tctx};
		reg[i].fn = then_item;
		reg[i].ctx = t;
		reg[i].free_ctx = then_free;
	}
	json_array_foreach(a, i, it)
		then(tctx, it);
	if (!t && free_tctx)
		free_tctx(tctx);
	return 0;
}

void hr_lazy_iter_init(struct hr_lazy_iter *it, const json_t *a)
{
	*it = (struct hr_lazy_iter){.a = a};
	it->lazy = json_is_array(a) && hr_lazy_find(a, &it->n, &it->fn, &it->ctx);
	if (!it->lazy)
		it->n = json_array_size(a);
}

const json_t *hr_lazy_next(struct hr_lazy_iter *it)
{
	json_decref(it->cur);
	it->cur = NULL;
	if (it->i >= it->n)
		return NULL;
	if (!it->lazy)
		return json_array_get(it->a, it->i++);
	it->cur = it->fn(it->ctx, it->i++);
	it->nomem = !it->cur;
	return it->cur;
}

void hr_lazy_iter_end(struct hr_lazy_iter *it)
{
	json_decref(it->cur);
	it->cur = NULL;
}
