/* lazy.h: arrays of a report tree whose items are made one at a time when
 * the tree is written, so a report over 65,536 destinations (or findings)
 * never holds them all (issue 20, item 6). Such an array is a real jansson
 * array holding its first `held` items (what text renderers and other
 * readers see: the worst or busiest first); the JSON and YAML writers of
 * render.c ask hr_lazy_find for the rest and make each item, write it and
 * free it. The array's maker hands over ctx, freed with free_ctx once
 * nothing but this registry holds the array. */
#ifndef HR_LAZY_H
#define HR_LAZY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Makes item i (0 <= i < n) of a lazy array: a new reference, or NULL on
 * ENOMEM. */
typedef json_t *(*hr_lazy_item_fn)(const void *ctx, size_t i);

/* A new array of n items, items 0..held-1 made now by fn (all of them
 * when n <= held: a plain array, ctx freed at once). ctx is owned from
 * here on, also on failure. NULL on ENOMEM. */
json_t *hr_lazy_array(size_t n, size_t held, hr_lazy_item_fn fn, void *ctx, void (*free_ctx)(void *));

/* The items of array a as written: true with *n, *fn and *ctx when a is a
 * lazy array; false for any other value. */
bool hr_lazy_find(const json_t *a, size_t *n, hr_lazy_item_fn *fn, const void **ctx);

/* The number of items a writer writes for a (json_array_size for a plain
 * array, 0 for a non-array). */
size_t hr_lazy_size(const json_t *a);

/* The items of an array one at a time as a writer sees them: a lazy
 * array's made, used and freed in turn (so a report over 65,536
 * destinations never has them all at once), a plain array's borrowed. */
struct hr_lazy_iter {
	const json_t *a;
	size_t n, i;
	hr_lazy_item_fn fn;
	const void *ctx;
	bool lazy, nomem;       /* nomem: an item could not be made */
	json_t *cur;            /* the item made last (lazy), owned */
};

void hr_lazy_iter_init(struct hr_lazy_iter *it, const json_t *a);
/* The next item (borrowed until the next call or hr_lazy_iter_end), or
 * NULL at the end or on ENOMEM (it->nomem). */
const json_t *hr_lazy_next(struct hr_lazy_iter *it);
void hr_lazy_iter_end(struct hr_lazy_iter *it);

/* Passes every item of a, as it is and as it is made, to then(tctx,
 * item) (which may change it, the same way each time): the items a holds
 * now, and with a lazy array each made later by a writer or an iterator.
 * tctx is owned from here on (freed with free_tctx with a's maker, or at
 * once for a plain array). 0, or -ENOMEM (tctx freed, nothing wrapped). */
int hr_lazy_then(json_t *a, void (*then)(void *tctx, json_t *item), void *tctx, void (*free_tctx)(void *));

/* Frees the registrations whose arrays nothing else holds (also done by
 * every hr_lazy_array); hr_lazy_sweep(true) frees every one (at exit). */
void hr_lazy_sweep(bool all);

#endif
