/* rules-cache.c: the parsed form of rule files that loaded without an
 * error, kept between runs so a run does not scan the same YAML again
 * (libyaml's scanner was most of the 5 ms a quiet audit spent on its 20
 * rule files, issue 23). What is kept is the YAML document the composer
 * built (every node with its marks), not the rules: the loader still reads
 * every rule from it, so every check and every message (file:line:col) is
 * the same as from the text, and a file with any error is never cached.
 *
 * Where: $HEADROOM_CACHE_DIR, else LOCALSTATEDIR/cache/headroom; used only
 * when that directory exists (make install creates it; headroom never
 * does), is owned by the user running headroom and writable by no one
 * else; an empty HEADROOM_CACHE_DIR turns the cache off. One file per
 * rule file, rules-HASH.ydoc (HASH: of the rule file's path). A cache file
 * is used only when it is a regular file owned by the same user, writable
 * by no one else, of this format and headroom version, made from a file
 * of the same path, size and content (a 64-bit hash of the whole text
 * read in this run: a copy that kept the mtime cannot fool it), and every
 * offset and node number in it is in range; else the text is parsed and
 * the cache file rewritten (a new file renamed over the old one, so a
 * reader never sees half of one).
 * Owns: hr_rules_cache_get, hr_rules_cache_put, hr_rules_cache_free.
 * May call: libc, libyaml. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "rules-int.h"

#define YC_MAGIC "HRYDOC1\n"
#define YC_FORMAT 1u
#define YC_MAX (16u << 20) /* a cache file larger than this is not read */

struct yc_head {
	char magic[8];
	uint32_t format, nnodes;
	char version[32];
	uint64_t size, hash, data; /* the rule file's size and hash; bytes of data */
	uint64_t body; /* the hash of the header (this field 0) and all that follows */
	uint32_t pathlen, flags;
	uint32_t doc_start[3], doc_end[3]; /* the document's marks: index, line, column */
};

/* One node; the scalar's text (length + NUL), a sequence's items (int) or
 * a mapping's pairs (int, int) at off in the data. */
struct yc_node {
	uint8_t type, style;
	uint16_t pad;
	uint32_t tag; /* offset of the tag (NUL-terminated) in the data */
	uint32_t off, len;
	uint32_t start[3], end[3];
};

/* What hr_rules_cache_get's doc points into. */
struct yc_map {
	void *p;
	size_t len;
};

/* FNV-1a over 64-bit words (then the tail bytes), mixed at the end: 8
 * bytes a step, so hashing the 125 KB of rules costs tens of microseconds. */
static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ull ^ n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 1099511628211ull;
		h ^= h >> 29;
	}
	while (n--)
		h = (h ^ *s++) * 1099511628211ull;
	h ^= h >> 32;
	return h * 0x9e3779b97f4a7c15ull;
}

/* The hash of a whole cache file: its header (with the field of this hash
 * as 0) and the body. */
static uint64_t file_hash(const struct yc_head *h, const void *body, size_t n)
{
	struct yc_head c = *h;

	c.body = 0;
	return fnv(&c, sizeof(c)) ^ (fnv(body, n) * 0xff51afd7ed558ccdull);
}

/* The cache directory, or NULL (no cache); looked at once per run. */
static const char *cache_dir(void)
{
	static const char def[] = HR_LOCALSTATEDIR "/cache/headroom";
	static const char *dir;
	static bool known;
	const char *e = getenv("HEADROOM_CACHE_DIR"), *d = e ? e : def;
	struct stat st;

	if (!known) {
		known = true;
		if (*d && !stat(d, &st) && S_ISDIR(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022))
			dir = d;
	}
	return dir;
}

static bool cache_path(const char *path, char *out, size_t n)
{
	const char *d = cache_dir();

	return d && snprintf(out, n, "%s/rules-%016llx.ydoc", d, (unsigned long long)fnv(path, strlen(path))) <
			    (int)n;
}

static void mark_in(yaml_mark_t *m, const uint32_t v[3])
{
	m->index = (size_t)v[0];
	m->line = (size_t)v[1];
	m->column = (size_t)v[2];
}

static void mark_out(uint32_t v[3], const yaml_mark_t *m)
{
	v[0] = (uint32_t)m->index;
	v[1] = (uint32_t)m->line;
	v[2] = (uint32_t)m->column;
}

/* Maps the whole trusted cache file at cp; NULL when absent or not ours. */
static char *map_cache(const char *cp, size_t *len)
{
	int fd = open(cp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	void *p = MAP_FAILED;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && !(st.st_mode & 022) &&
	    st.st_size >= (off_t)sizeof(struct yc_head) && (uint64_t)st.st_size <= YC_MAX)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return p;
}

/* A NUL-terminated string at off in data of n bytes. */
static bool str_at(const char *data, uint64_t n, uint64_t off)
{
	return off < n && memchr(data + off, '\0', (size_t)(n - off));
}

bool hr_rules_cache_get(const char *path, const char *text, size_t len, yaml_document_t *doc, void **mem)
{
	char cp[4200], *buf;
	size_t blen = 0, pl = strlen(path), i;
	const struct yc_head *h;
	const struct yc_node *rec;
	const char *data;
	yaml_node_t *nodes = NULL;
	struct yc_map *m = NULL;

	*mem = NULL;
	if (!cache_path(path, cp, sizeof(cp)) || !(buf = map_cache(cp, &blen)))
		return false;
	h = (const struct yc_head *)buf;
	rec = (const struct yc_node *)(buf + sizeof(*h) + ((h->pathlen + 7) & ~7u));
	if (memcmp(h->magic, YC_MAGIC, 8) || h->format != YC_FORMAT ||
	    strncmp(h->version, PACKAGE_VERSION, sizeof(h->version)) || h->size != len || h->pathlen != pl ||
	    h->nnodes == 0 || blen < sizeof(*h) + pl ||
	    memcmp(buf + sizeof(*h), path, pl) || h->hash != fnv(text, len) ||
	    (uint64_t)blen != sizeof(*h) + ((pl + 7) & ~7u) + (uint64_t)h->nnodes * sizeof(*rec) + h->data ||
	    h->body != file_hash(h, buf + sizeof(*h), blen - sizeof(*h)) ||
	    !(nodes = calloc(h->nnodes, sizeof(*nodes))) || !(m = malloc(sizeof(*m))))
		goto bad;
	data = (const char *)(rec + h->nnodes);
	for (i = 0; i < h->nnodes; i++) {
		const struct yc_node *r = &rec[i];
		yaml_node_t *n = &nodes[i];
		uint64_t bytes = r->type == YAML_SCALAR_NODE	 ? (uint64_t)r->len + 1
				 : r->type == YAML_SEQUENCE_NODE ? r->len * sizeof(yaml_node_item_t)
								 : r->len * sizeof(yaml_node_pair_t);
		uint64_t k, ids = r->type == YAML_MAPPING_NODE ? 2 * (uint64_t)r->len : r->len;

		if ((r->type != YAML_SCALAR_NODE && r->type != YAML_SEQUENCE_NODE && r->type != YAML_MAPPING_NODE) ||
		    !str_at(data, h->data, r->tag) || r->len > h->data || bytes > h->data ||
		    r->off > h->data - bytes ||
		    (r->type != YAML_SCALAR_NODE && r->off % sizeof(int)) ||
		    (r->type == YAML_SCALAR_NODE && data[r->off + r->len] != '\0'))
			goto bad;
		for (k = 0; r->type != YAML_SCALAR_NODE && k < ids; k++) {
			int id = ((const int *)(data + r->off))[k];

			if (id < 1 || (uint64_t)id > h->nnodes)
				goto bad;
		}
		n->type = (yaml_node_type_t)r->type;
		n->tag = (yaml_char_t *)(data + r->tag);
		mark_in(&n->start_mark, r->start);
		mark_in(&n->end_mark, r->end);
		if (r->type == YAML_SCALAR_NODE) {
			n->data.scalar.value = (yaml_char_t *)(data + r->off);
			n->data.scalar.length = (size_t)r->len;
			n->data.scalar.style = (yaml_scalar_style_t)r->style;
		} else if (r->type == YAML_SEQUENCE_NODE) {
			n->data.sequence.items.start = (yaml_node_item_t *)(data + r->off);
			n->data.sequence.items.top = n->data.sequence.items.end =
				n->data.sequence.items.start + r->len;
			n->data.sequence.style = (yaml_sequence_style_t)r->style;
		} else {
			n->data.mapping.pairs.start = (yaml_node_pair_t *)(data + r->off);
			n->data.mapping.pairs.top = n->data.mapping.pairs.end = n->data.mapping.pairs.start + r->len;
			n->data.mapping.style = (yaml_mapping_style_t)r->style;
		}
	}
	memset(doc, 0, sizeof(*doc));
	doc->nodes.start = nodes;
	doc->nodes.top = doc->nodes.end = nodes + h->nnodes;
	doc->start_implicit = (int)(h->flags & 1);
	doc->end_implicit = (int)((h->flags >> 1) & 1);
	mark_in(&doc->start_mark, h->doc_start);
	mark_in(&doc->end_mark, h->doc_end);
	m->p = buf;
	m->len = blen;
	*mem = m;
	return true;
bad:
	free(m);
	free(nodes);
	munmap(buf, blen);
	return false;
}

void hr_rules_cache_free(yaml_document_t *doc, void *mem)
{
	struct yc_map *m = mem;

	free(doc->nodes.start);
	memset(doc, 0, sizeof(*doc));
	munmap(m->p, m->len);
	free(m);
}

/* Appends n bytes of p to the growing buffer b (8-aligned first when align). */
struct ybuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static uint64_t put(struct ybuf *b, const void *p, size_t n, bool align)
{
	size_t at = align ? (b->len + 7) & ~(size_t)7 : b->len;

	if (b->oom)
		return 0;
	if (at + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < at + n)
			cap *= 2;
		if (!(np = realloc(b->p, cap))) {
			b->oom = true;
			return 0;
		}
		b->p = np;
		b->cap = cap;
	}
	memset(b->p + b->len, 0, at - b->len);
	if (n)
		memcpy(b->p + at, p, n);
	b->len = at + n;
	return at;
}

/* The data offset of tag t, written once per distinct tag (a few). */
static uint32_t tag_off(struct ybuf *b, const char *t, const char **seen, uint32_t *offs, size_t *nseen)
{
	size_t i;

	for (i = 0; i < *nseen; i++)
		if (!strcmp(seen[i], t))
			return offs[i];
	if (*nseen == 8)
		return (uint32_t)put(b, t, strlen(t) + 1, false);
	seen[*nseen] = t;
	return offs[(*nseen)++] = (uint32_t)put(b, t, strlen(t) + 1, false);
}

void hr_rules_cache_put(const char *path, const char *text, size_t len, const yaml_document_t *doc)
{
	char cp[4200], tmp[4300];
	struct ybuf data = {0}, body = {0};
	struct yc_head h;
	struct yc_node *rec;
	const char *seen[8];
	uint32_t offs[8];
	size_t nseen = 0, nn = (size_t)(doc->nodes.top - doc->nodes.start), i, pl = strlen(path);
	int fd;
	bool ok;

	if (!nn || nn > UINT32_MAX || !cache_path(path, cp, sizeof(cp)) || !(rec = calloc(nn, sizeof(*rec))))
		return;
	for (i = 0; i < nn; i++) {
		const yaml_node_t *n = &doc->nodes.start[i];
		struct yc_node *r = &rec[i];

		r->type = (uint8_t)n->type;
		r->tag = tag_off(&data, n->tag ? (const char *)n->tag : "", seen, offs, &nseen);
		mark_out(r->start, &n->start_mark);
		mark_out(r->end, &n->end_mark);
		if (n->type == YAML_SCALAR_NODE) {
			r->style = (uint8_t)n->data.scalar.style;
			r->len = (uint32_t)n->data.scalar.length;
			r->off = (uint32_t)put(&data, n->data.scalar.value, n->data.scalar.length + 1, false);
		} else if (n->type == YAML_SEQUENCE_NODE) {
			r->style = (uint8_t)n->data.sequence.style;
			r->len = (uint32_t)(n->data.sequence.items.top - n->data.sequence.items.start);
			r->off = (uint32_t)put(&data, n->data.sequence.items.start, (size_t)r->len * sizeof(yaml_node_item_t), true);
		} else {
			r->style = (uint8_t)n->data.mapping.style;
			r->len = (uint32_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
			r->off = (uint32_t)put(&data, n->data.mapping.pairs.start, (size_t)r->len * sizeof(yaml_node_pair_t), true);
		}
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, YC_MAGIC, 8);
	h.format = YC_FORMAT;
	h.nnodes = (uint32_t)nn;
	snprintf(h.version, sizeof(h.version), "%s", PACKAGE_VERSION);
	h.size = len;
	h.hash = fnv(text, len);
	h.data = data.len;
	h.pathlen = (uint32_t)pl;
	h.flags = (doc->start_implicit ? 1u : 0u) | (doc->end_implicit ? 2u : 0u);
	mark_out(h.doc_start, &doc->start_mark);
	mark_out(h.doc_end, &doc->end_mark);
	/* The body (path, records, data) in one buffer, hashed, then the file. */
	put(&body, path, pl, false);
	put(&body, "\0\0\0\0\0\0\0", ((pl + 7) & ~(size_t)7) - pl, false);
	put(&body, rec, nn * sizeof(*rec), false);
	put(&body, data.p, data.len, false);
	h.body = body.oom ? 0 : file_hash(&h, body.p, body.len);
	ok = !data.oom && !body.oom && data.len <= UINT32_MAX &&
	     snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cp, (long)getpid()) < (int)sizeof(tmp);
	fd = ok ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
	if (fd >= 0) {
		ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
		     write(fd, body.p, body.len) == (ssize_t)body.len;
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, cp))
			unlink(tmp);
	}
	free(body.p);
	free(rec);
	free(data.p);
}
