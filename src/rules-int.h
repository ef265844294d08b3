/* rules-int.h: internals shared by the rules engine's files (rules.c,
 * rules-load.c, rules-check.c, rules-overlay.c, rules-eval.c,
 * rules-explain.c): the rule structures a loaded hr_ruleset holds, the
 * evaluation state, and the helpers one file gives the others.
 * Not for use outside src/rules*.c. */
#ifndef HR_RULES_INT_H
#define HR_RULES_INT_H

#include <jansson.h>
#include <yaml.h>

#include "expr.h"
#include "facts.h"
#include "rules.h"
#include "severity.h"

/* ------------------------------------------------------------- structures */

/* Name kinds the resolver gives the expression binder. */
enum { K_FACT = 1, K_ITEM, K_LET, K_DERIVED, K_KERNEL };

enum fmt {
	FMT_DEFAULT, FMT_INT, FMT_1F, FMT_2F, FMT_3F, FMT_PCT, FMT_DURATION, FMT_RAW, FMT_NUM, FMT_GAUGE,
	FMT_COUNTDOWN, FMT_N
};
extern const char *const hr_rules_fmt_names[FMT_N]; /* YAML spellings, in rules.c */


/* A template: literal text and {EXPR:FMT} parts. */
struct tpart {
	char *lit;  /* literal text, or NULL for an expression part */
	hr_expr *e;
	int fmt;
};
struct tmpl {
	char *src;
	struct tpart *p;
	size_t n;
};

struct let {
	char *name;
	hr_expr *e;
	int stype;
};

struct setting {
	char *key;
	struct tmpl val;
};

struct letover {
	int slot;
	hr_expr *e;
};

struct fix {
	char *kind;
	hr_expr *when;
	struct setting *set;
	size_t nset;
	struct tmpl text;
	struct letover *lets;
	size_t nlets;
};

/* A choice of templates: the first whose when holds (no when: always). */
struct choice {
	hr_expr *when;
	struct tmpl text;
};
struct choices {
	struct choice *v;
	size_t n;
};

/* How a rule presents its findings beyond message and metrics (present:). */
struct present {
	struct choices headline; /* the audit verdict when this finding is the worst */
	char *table, *title, *rows; /* table id, its title, the noun of its rows */
	char **headers;             /* ncols column headers */
	bool *right;                /* right-aligned columns */
	struct choices *cells;      /* one choice list per column */
	size_t ncols;
	struct hr_rule_perf *perf;  /* Nagios perfdata (strings owned) */
	size_t nperf;
	char *watch[HR_WATCH_ROLES]; /* metric names watch follows; [0] NULL: none */
};

struct rule {
	char *id, *title, *area, *description, *file;
	int line, col;
	int coll; /* enum hr_coll, or -1 */
	hr_expr **needs;
	size_t nneeds;
	hr_expr *when;
	struct let *lets;
	size_t nlets;
	int *metrics; /* let slots */
	size_t nmetrics;
	int headroom; /* let slot, or -1 */
	hr_expr *sev[HR_SEV_N]; /* indexed by enum hr_sev; [HR_SEV_OK] unused */
	struct tmpl message;
	struct fix *fixes;
	size_t nfixes;
	char **refs;
	size_t nrefs;
	struct present present;
	char *broken; /* non-NULL: first error; the rule is reported, not evaluated */
	bool bound;   /* names bound by hr_ruleset_check */
};

struct derived {
	char *name, *file;
	int line, col;
	hr_expr *e;
	int stype;
	int state;      /* cycle search: 0 new, 1 on the path, 2 done */
	unsigned colls; /* collections whose item fields it needs (transitively) */
	int height;     /* derived facts evaluated nested for it, itself included */
	int deeper;     /* the derived fact below it on its longest chain, or -1 */
	bool bad;
	bool bound;
};

/* One counter of the catalogue (counters: in a rule file): the items of
 * for_each: counters. */
struct counter {
	char *fact;    /* "netstat.TcpExt.ListenOverflows" */
	char *meaning; /* one sentence */
	char *owner;   /* the rule that explains it when it moves, or NULL */
	char *source;  /* kernel source reference */
	char *file;
	int line, col;
	bool failure; /* it counts something that failed or was dropped */
};

/* A scalar fact referenced somewhere: one cache slot each. */
struct fref {
	char *name;
};

#define NIDX 9 /* cached indexes per fact: whole value and [0] .. [7] */

struct hr_ruleset {
	struct rule *rules;
	size_t nrules, caprules;
	struct derived *der;
	size_t nder, capder;
	char **facts; /* scalar fact slots */
	size_t nfacts, capfacts;
	char **items; /* item field slots */
	size_t nitems, capitems;
	char **loaded; /* "DEV:INODE" of the files loaded (each file once) */
	size_t nloaded, caploaded;
	char **excluded; /* "DEV:INODE" of the files hr_ruleset_load_dir leaves out */
	size_t nexcluded, capexcluded;
	struct counter *counters; /* the counter catalogue, in load order */
	size_t ncounters, capcounters;
	struct hr_mgr_cat *mgrcat; /* the managers catalogue (rules-managers.c), in load order */
	size_t nmgrcat, capmgrcat;
	size_t nexprs;  /* expressions parsed, placeholders included (HR_RULES_MAX_EXPRS) */
	size_t nbytes;  /* bytes of the rule files read (HR_RULES_MAX_TOTAL) */
	size_t nfiles;  /* rule files read (HR_RULES_MAX_FILES) */
	bool checked;
};


/* ------------------------------------------------------- loading (YAML) */

/* One file being loaded. */
struct loader {
	hr_ruleset *rs;
	yaml_document_t doc;
	const char *file;
	char *area; /* default area: the file's base name */
	struct hr_diags *d;
	size_t errors; /* errors in this file */
	bool rule_bad; /* the rule being read had an error */
	bool full;     /* HR_RULES_MAX_EXPRS reached (said once per file) */
	char first[1024]; /* its first error, for the stub */
};

/* rules-load.c: the loader's helpers, shared with rules-present.c. Each
 * problem is reported through hr_rules_lerr (located, marks the rule bad). */
void hr_rules_lerr(struct loader *l, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
yaml_node_t *hr_rules_ynode(struct loader *l, int i);
/* The text of a scalar node, or NULL (error reported naming what). */
const char *hr_rules_yscalar(struct loader *l, yaml_node_t *n, const char *what);
/* The expression in a scalar node, or NULL (error reported). */
hr_expr *hr_rules_yexpr(struct loader *l, yaml_node_t *n, const char *what);
/* A template: literal text with {EXPR} or {EXPR:FMT}; false on error (reported). */
bool hr_rules_ytmpl(struct loader *l, yaml_node_t *n, const char *what, struct tmpl *t);
/* True (error reported) when the key of pair was already given in map. */
bool hr_rules_ydup(struct loader *l, yaml_node_t *map, yaml_node_pair_t *pair);
/* True when n is of type t; else false with an error naming what. */
bool hr_rules_want(struct loader *l, yaml_node_t *n, yaml_node_type_t t, const char *what);

/* Iterates the pairs of a mapping node (a duplicate key is reported and skipped). */
#define YMAP_SCAN(l, n, k, v, pair)                                                                \
	for (yaml_node_pair_t *pair = (n)->data.mapping.pairs.start;                               \
	     pair < (n)->data.mapping.pairs.top && ((k) = hr_rules_ynode(l, pair->key)) &&                 \
	     ((v) = hr_rules_ynode(l, pair->value));                                                        \
	     pair++)
#define YMAP_EACH(l, n, k, v, pair) YMAP_SCAN(l, n, k, v, pair) if (!hr_rules_ydup(l, n, pair))
#define YSEQ_EACH(l, n, v, item)                                                                   \
	for (yaml_node_item_t *item = (n)->data.sequence.items.start;                              \
	     item < (n)->data.sequence.items.top && ((v) = hr_rules_ynode(l, *item)); item++)

/* rules-cache.c: the YAML document of a rule file that loaded without an
 * error, kept between runs (see there). get: true when doc was filled from
 * the cache for path with this text (free with hr_rules_cache_free, not
 * yaml_document_delete); put: keeps doc for the next run (best effort). */
bool hr_rules_cache_get(const char *path, const char *text, size_t len, yaml_document_t *doc, void **mem);
void hr_rules_cache_put(const char *path, const char *text, size_t len, const yaml_document_t *doc);
void hr_rules_cache_free(yaml_document_t *doc, void *mem);

/* ------------------------------------------------------------ evaluation */

/* A sysctl set by a fix (or a what-if), checked before the facts. */
struct override {
	const char *key;
	const char *raw;
	double fields[8];
	int nfields;
	bool num;
};

#define MAX_SET 16

/* One fix as shown: text and settings filled in the base context. */
struct fixview {
	const struct fix *fx;
	char text[1024];
	char vals[MAX_SET][128];
	struct override ov[MAX_SET];
	size_t nov;
};

/* Evaluation state: one per hr_ruleset_evaluate/explain call, reused for every rule and subject. */
struct evst {
	struct hr_xctx x;
	const hr_ruleset *rs;
	const hr_facts *f;
	const struct rule *r;
	int coll;
	size_t item;
	struct hr_xval *lets; /* current let values (max lets of any rule) */
	size_t nlets_done;
	struct hr_xval *fcache; /* scalar facts: nfacts * NIDX, base facts only */
	bool *fhave;
	/* Item fields, cached across rules: numbers and conditions of every
	 * item of a collection (strings are not cached: the facts model
	 * returns them in scratch buffers). */
	struct hr_xval *iall[HR_COLL_N];
	bool *ihave[HR_COLL_N];
	/* A collection too large for a cell per item and field (more than
	 * HR_ITEM_CACHE_MAX cells) keeps one item's: icur is that item + 1. */
	size_t icur[HR_COLL_N];
	bool ione[HR_COLL_N];
	struct hr_xval *dcache; /* derived facts of the current pass (or overlay) */
	uint32_t *dgen, pass, ovgen, gen; /* generations: pass and overlay ids from gen */
	const struct override *ov; /* overlay of the current fix pass */
	size_t nov;
	const struct override *base; /* what-if overlay of the whole evaluation */
	size_t nbase;
	bool ov_ports;
	int depth;
	char ovsrc[64];
	/* JSON shared by every finding of the current rule (read-only). */
	json_t *jrule, *jtitle, *jarea, *jrefs, *jsev[HR_SEV_N];
	bool problems_only;
	size_t hold; /* hr_eval_opts.hold */
	struct hr_eval_refs *refs; /* hr_eval_opts.refs */
	struct fixview *fv; /* room for the fixes of any rule */
	/* Per catalogue counter: its owner has a finding at warning or above
	 * (NULL: not known, before the other rules were evaluated). */
	bool *owner_flagged;
};

/* Result of one pass over one subject. */
enum { R_EVALUATED, R_NOT_APPLICABLE, R_NOT_EVALUATED };

struct outcome {
	int status;
	int sev;
	bool error; /* not evaluated because the rule failed (not a missing fact) */
	char reason[700];
};

/* rules.c */
/* Grows an array to hold need elements of size bytes (doubling); NULL on ENOMEM (v kept). */
void *hr_rules_grow(void *v, size_t *cap, size_t need, size_t size);
/* Frees a template's parts and source, leaving it empty. */
void hr_rules_tmpl_clear(struct tmpl *t);
/* Frees everything a rule owns, leaving it zeroed. */
void hr_rules_rule_clear(struct rule *r);
/* The rule with this id, or NULL. */
struct rule *hr_rules_find_rule(const hr_ruleset *rs, const char *id);
/* The derived fact of this name, or NULL. */
struct derived *hr_rules_find_derived(const hr_ruleset *rs, const char *name);
/* True when path names the same file as one in the list (device and inode). */
bool hr_rules_path_in(char **list, size_t n, const char *path);
/* Adds the identity of path to a list (nothing when it does not resolve). */
void hr_rules_path_add(char ***list, size_t *n, size_t *cap, const char *path);
/* Runs the check when the caller did not (derived facts may live in any file). */
void hr_rules_ensure_checked(const hr_ruleset *rs);

/* rules-load.c */
/* The index of let name in rule r, or -1. */
int hr_rules_let_slot(const struct rule *r, const char *name);

/* rules-present.c */
/* Reads a rule's present: mapping (after its lets and metrics). */
void hr_rules_present_load(struct loader *l, struct rule *r, yaml_node_t *n);
/* Frees what a present owns, leaving it zeroed. */
void hr_rules_present_clear(struct present *p);
/* Frees a choice list's expressions and templates, leaving it empty. */
void hr_rules_choices_clear(struct choices *c);

/* rules-check.c */
/* The collection whose item fields name is one of ("listeners.x"), or -1. */
int hr_rules_item_coll(const char *name);
/* Calls fn on every expression of a rule (templates included). */
bool hr_rules_each_expr(hr_ruleset *rs, struct rule *r, struct hr_diags *d,
			bool (*fn)(hr_ruleset *, struct rule *, const hr_expr *, struct hr_diags *));

/* rules-managers.c */
/* Reads a file's managers: list into the catalogue. */
void hr_rules_managers_load(struct loader *l, yaml_node_t *n);
/* Frees the catalogue. */
void hr_rules_managers_free(hr_ruleset *rs);

/* rules-counters.c */
/* Reads a file's counters: list into the catalogue. */
void hr_rules_counters_load(struct loader *l, yaml_node_t *n);
/* Frees the catalogue. */
void hr_rules_counters_free(hr_ruleset *rs);
/* Cross-checks the catalogue (owners are rules, facts can exist, no counter
 * twice); problems go to d. Returns the number of errors. */
size_t hr_rules_counters_check(const hr_ruleset *rs, struct hr_diags *d);
/* The items of collection c: the catalogue's size for counters, else the facts'. */
size_t hr_rules_coll_count(const hr_ruleset *rs, const hr_facts *f, int c);
/* The subject of item i of collection c (NULL when none). */
const char *hr_rules_item_subject(const hr_ruleset *rs, const hr_facts *f, int c, size_t i);
/* A counter.* field of the current item; 0, or -1 with the error in st. */
int hr_rules_counter_field(struct evst *st, const char *name, struct hr_xval *out);
/* Marks the counters whose owner has a finding at warning or above in
 * findings (an array of finding objects); st->owner_flagged then owned. */
void hr_rules_counters_owners(struct evst *st, const json_t *findings);

/* rules-overlay.c */
/* Prepares the evaluation state (caches sized for rs); 0 or -ENOMEM. */
int hr_rules_evst_init(struct evst *st, const hr_ruleset *rs, const hr_facts *f);
/* Releases what hr_rules_evst_init made. */
void hr_rules_evst_done(struct evst *st);
/* Parses an override's value like the facts model parses a sysctl. */
void hr_rules_ov_parse(struct override *o);
/* Sets the overlay of a fix pass (NULL: none); the what-if base stays under it. */
void hr_rules_set_overlay(struct evst *st, const struct override *ov, size_t n);

/* rules-eval.c */
/* One pass: needs, when, lets (with fix overrides), severity. */
void hr_rules_run_pass(struct evst *st, const struct rule *r, const struct fix *fx, struct outcome *o);
/* A number or condition as JSON (integer when whole; null when not a finite number). */
json_t *hr_rules_num_json(const struct hr_xval *v);
/* The current subject of rule r as JSON (null for a rule without for_each). */
json_t *hr_rules_subject_json(struct evst *st, const struct rule *r);
/* The references of rule r as a JSON array. */
json_t *hr_rules_refs_json(const struct rule *r);
/* Builds the finding of an evaluated subject (lets of the base pass in st). */
json_t *hr_rules_finding_json(struct evst *st, const struct rule *r, const struct outcome *o);
/* Makes the JSON values every finding of rule r shares. */
void hr_rules_rule_begin(struct evst *st, const struct rule *r);
/* Drops the JSON values hr_rules_rule_begin made. */
void hr_rules_rule_end(struct evst *st);

#endif
