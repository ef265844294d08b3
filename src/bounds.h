/* bounds.h: the input bounds of every reader, in one place (issue 12).
 * Beyond a bound a reader stops with an error naming the file (and the
 * line or key where there is one) instead of using unbounded memory or
 * time. Each number is far above what the kernel or a hand-written file
 * produces; the man pages (headroom-probe.8, headroom-rules.5,
 * headroom-profiles.5, headroom-audit.8) list them in a table. */
#ifndef HR_BOUNDS_H
#define HR_BOUNDS_H

/* A bound as text, for messages (only for bounds written as one number). */
#define HR_STR_(x) #x
#define HR_STR(x) HR_STR_(x)

/* --- probe: captured trees (--root) and /proc --- */

/* One line of /proc/net/tcp{,6}: the kernel pads tcp4 lines to 149 bytes
 * and tcp6 lines are about 180 (seq_setwidth(), net/ipv{4,6}/tcp*.c);
 * 4 KiB is 20 times that, so a longer line is not a socket line. */
#define HR_PROCNET_MAX_LINE 4096
/* Malformed lines in one tcp file before it is given up on: a real file
 * has none; a hand-edited tree a few. 1000 keeps a file of garbage from
 * costing time proportional to its size. */
#define HR_PROCNET_MAX_BAD 1000

/* One sysctl value, and one counter file (snmp, netstat, sockstat, slab):
 * the longest kernel sysctl values (a cpumask, net.ipv4.ip_local_reserved_ports
 * fully listed) are a few KiB and /proc/net/netstat is ~5 KiB; 64 KiB is
 * what a single read() of /proc/sys hands out at most in practice, so more
 * is not a kernel value. */
#define HR_PROBE_MAX_VALUE_KIB 64
#define HR_PROBE_MAX_VALUE (HR_PROBE_MAX_VALUE_KIB * 1024)
/* One line of a snapshot's headroom/backlogs ("ADDRESS:PORT BACKLOG": at
 * most 39 + 1 + 5 + 1 + 10 bytes); the file is streamed, so only the line
 * is bounded. */
#define HR_BACKLOGS_MAX_LINE 256
/* Malformed backlogs lines (each one a problem) before the file is given
 * up on: headroom snapshot writes none. */
#define HR_BACKLOGS_MAX_BAD 100

/* One line of /proc/net/nf_conntrack (a tree's conntrack entries): the
 * kernel prints ~150-350 bytes per entry with every extension on
 * (ct_seq_show(), net/netfilter/nf_conntrack_standalone.c); 1 KiB is three
 * times that. */
#define HR_CONNTRACK_MAX_LINE 1024
/* Malformed conntrack lines before the file is given up on. */
#define HR_CONNTRACK_MAX_BAD 1000
/* One line of a tree's headroom/kmsg (the /dev/kmsg format): a record's
 * text is at most 1 KiB (PRINTKRB_RECORD_MAX), which escaping of
 * unprintable bytes as \xNN can make 4 KiB; plus the prefix. */
#define HR_KMSG_MAX_LINE 8192
/* Lines of headroom/kmsg that are not records before it is given up on. */
#define HR_KMSG_MAX_BAD 1000

/* --- facts model --- */

/* Outbound destinations (remote address, remote port) held one by one;
 * the rest are folded into one "other destinations" aggregate whose counts
 * still add up. 65,536 destinations cost ~27 MiB in the facts model (a
 * ~400-byte aggregate with its TIME_WAIT histogram, plus hash slots, each)
 * and are more than any rule needs to name one. Measured at the bound
 * (1,000,000 sockets, /usr/bin/time -v, x86-64, tests/limits-dests.sh):
 * probe 42 MiB peak RSS in text and JSON (was 191: the report copies each
 * destination in ~140 bytes and makes its JSON object only as it is
 * written, lazy.c); audit 44 MiB in text and 47 MiB in JSON (was 448: the
 * evaluation makes at most 50 findings per rule and severity, the counts
 * are of all; JSON and YAML make the others again one at a time as they
 * are written, audit-report.c, from 12 bytes each; and the rules'
 * item-field cache keeps one item's fields beyond 4 MiB, where 65,536 x ~35
 * fields were 110 MiB); nagios 47 MiB (the perfdata made over every
 * finding again); prometheus 46 MiB and --textfile 47 MiB (were 325 and
 * 396: one pass over the findings, each family's lines in a temporary
 * file, render-prom.c; the textfile streamed, hr_persist_write_fill);
 * --netns/--all-netns 44-48 MiB in every format with a namespace at the
 * bound (was 328: each namespace's findings held and made as in a single
 * audit); --assume-file and --boot 46-47 MiB in text and JSON (were 595
 * and 582, then 338: the baseline evaluated with the same hold, reduced to
 * its set of critical findings; the second evaluation's findings given
 * their changed_by and new_critical as each is made, audit-files.c; 49 MiB
 * in JSON and 60 MiB in text with a new critical finding per destination,
 * each listed); --format text with --textfile 46 MiB (text reads the held
 * findings, the textfile every one as written). watch 48 MiB a refresh in a namespace at the bound (was 365:
 * it reads the findings beyond the worst made one at a time). */
#define HR_FACTS_MAX_DESTS 65536

/* --- rules (headroom-rules.5) --- */

/* A rule file: the shipped ones are a few KiB each (~40 KiB together);
 * 1 MiB is room for thousands of rules, and libyaml's document of it
 * takes ~35 MiB (measured: 34 bytes per byte of a file of short rules). */
#define HR_RULES_MAX_FILE (1024 * 1024)
/* Nesting of YAML collections in a rule, workload or profile file: the
 * formats nest at most 5 deep (rules: - fix: set: key: ...); 32 leaves
 * room and stops a '[[[[...' file before anything walks it. */
#define HR_YAML_MAX_DEPTH 32
/* Rules in one rule set (all files together): the shipped set has ~25;
 * each rule is evaluated against every fact on every run. */
#define HR_RULES_MAX 10000
/* One expression (when:, derived values, fix values): the longest shipped
 * one is ~200 bytes; 16 KiB is a page of conditions. */
#define HR_EXPR_MAX_LEN (16 * 1024)
/* Expressions in one rule set, the {placeholders} of templates included:
 * the shipped set has ~900; each parsed one costs ~700 bytes (measured: a
 * file of 330,000 placeholders took 209 MiB), so 20,000 keep the loaded
 * rules under ~15 MiB whatever the files hold. */
#define HR_RULES_MAX_EXPRS 20000
/* Rule files in one rule set, and their bytes together: the shipped set is
 * 9 files, ~40 KiB. Each file's YAML document is freed before the next is
 * read, so a file's ~35 MiB is paid once, not per file. */
#define HR_RULES_MAX_FILES 256
#define HR_RULES_MAX_TOTAL (4 * 1024 * 1024)

/* --- profiles and workloads (headroom-profiles.5, headroom-audit.8) --- */

/* A profile or workload file: the shipped profiles are ~2 KiB. */
#define HR_PROFILE_MAX_FILE (1024 * 1024)
/* Keys set by one profile (after 'extends'): a kernel has ~1,000 net sysctls. */
#define HR_PROFILE_MAX_KEYS 4096
/* Declared outbound/inbound entries of one workload file: each becomes a
 * destination or listener of the facts model. */
#define HR_WORKLOAD_MAX_ENTRIES 4096

/* --- sysctl.d files (headroom-audit.8, headroom-apply.8) --- */

/* One sysctl.d file (--assume-file, --sysctl-file, the boot set): the
 * files distributions ship are a few hundred bytes to a few KiB; 1 MiB is
 * tens of thousands of assignments (systemd-sysctl bounds one line at
 * 1 MiB, LONG_LINE_MAX). */
#define HR_SYSCTLD_MAX_FILE (1024 * 1024)
/* Files of the boot set (every sysctl.d directory together): a host has
 * a few dozen; each is read whole. */
#define HR_SYSCTLD_MAX_FILES 4096

/* What the child reading a new network namespace's sysctls sends back
 * (netns-fresh.c): a few hundred keys of at most HR_PROBE_MAX_VALUE each
 * in the directories read; 16 MiB is far above that. */
#define HR_NETNS_FRESH_MAX (16 * 1024 * 1024)

/* --- journal (headroom-apply.8) --- */

/* One transaction journal: a few hundred bytes per key changed, so 16 MiB
 * is tens of thousands of keys; it is read whole to resume or roll back. */
#define HR_JOURNAL_MAX_FILE_MIB 16
#define HR_JOURNAL_MAX_FILE (HR_JOURNAL_MAX_FILE_MIB * 1024 * 1024)
/* One journal event line (one key's old and new value, JSON-escaped: the
 * values are HR_PROBE_MAX_VALUE at most, escaping can double them). */
#define HR_JOURNAL_MAX_LINE (256 * 1024)
/* The persisted sysctl.d file (apply --persist) as read before it is
 * replaced: its old content is one journal line (the header) and its new
 * one another, so it must fit a journal line with room for the plan and
 * for escaping; 128 KiB is ~3,000 "key = value" lines. Each record's
 * encoded length is also checked against HR_JOURNAL_MAX_LINE before the
 * first write: headroom never writes a journal it cannot read back. */
#define HR_PERSIST_MAX_FILE (128 * 1024)

#include <stddef.h>

/* Checks that no YAML collection in text nests deeper than max (a
 * streaming pass over the events, before the document is built). Returns
 * 0 (also on a syntax error: the loader reports those), -E2BIG with the
 * 1-based *line and *col of the first collection too deep, or -ENOMEM. */
int hr_yaml_check_depth(const char *text, size_t len, int max, int *line, int *col);

#include <yaml.h>

/* yaml_parser_load with the nesting bound, in the same single pass over
 * the events: the document is composed as the events stream and the first
 * collection deeper than max stops it (a check before the load parsed
 * every file twice: a third of the cost of loading the rules). doc is
 * built as yaml_parser_load builds it (default tags, marks, anchors and
 * aliases; an empty stream is an empty document) and is the caller's to
 * yaml_document_delete when 1 is returned. Returns 1; 0 on a YAML error
 * (the parser's problem, context and marks say which, as after
 * yaml_parser_load); -E2BIG with the 1-based *line and *col of the first
 * collection too deep; -ENOMEM. doc holds nothing after 0 or -errno. */
int hr_yaml_load(yaml_parser_t *parser, yaml_document_t *doc, int max, int *line, int *col);

#include <stdio.h>

/* Reads one line of at most max bytes from in into buf (max + 2 bytes),
 * without its newline. 1 with *len, 0 at the end of the file, -E2BIG for a
 * longer line, -EILSEQ for binary data (a NUL byte); after an error the
 * caller stops reading the file ("rest of the file not read"). */
int hr_bounds_getline(FILE *in, char *buf, size_t max, size_t *len);

struct hr_err;
/* Reads a whole YAML file of at most max bytes and checks its nesting
 * (HR_YAML_MAX_DEPTH). what names the kind of file in messages ("workload
 * file"). As root the file must be root's alone (hr_input_trusted, -EPERM).
 * Returns 0 with an owned *text, or -errno with err set naming the file
 * (and line:col of a collection too deep). */
int hr_bounds_read_yaml(const char *path, size_t max, const char *what, char **text, size_t *len,
			struct hr_err *err);

#endif
