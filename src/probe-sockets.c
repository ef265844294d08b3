/* probe-sockets.c: the probe's sockets: the live network namespace through
 * netlink sock_diag, or a captured tree's /proc/net/tcp{,6} in two passes
 * (LISTEN lines first, so the rest can be told inbound from outbound) with
 * the snapshot's listener backlogs in between. May call: probe-io.c
 * (through probe-int.h), procnet.c, sockdiag.c and the facts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "probe-int.h"
#include "procnet.h"
#include "sockdiag.h"

/* Parses "ADDR:PORT BACKLOG" of a backlogs file, the address as
 * /proc/net/tcp prints it (8 or 32 hex digits, 32-bit words in host order). */
static bool backlog_line(const char *line, int *family, uint8_t *addr, uint16_t *port,
			 uint32_t *backlog)
{
	const char *colon = strchr(line, ':');
	size_t hexlen = colon ? (size_t)(colon - line) : 0, i;
	char word[9], *end;
	unsigned long v;

	if (hexlen != 8 && hexlen != 32)
		return false;
	*family = hexlen == 8 ? AF_INET : AF_INET6;
	memset(addr, 0, 16);
	for (i = 0; i < hexlen / 8; i++) {
		uint32_t w;

		memcpy(word, line + 8 * i, 8);
		word[8] = '\0';
		v = strtoul(word, &end, 16);
		if (*end)
			return false;
		w = (uint32_t)v;
		memcpy(addr + 4 * i, &w, 4);
	}
	v = strtoul(colon + 1, &end, 16);
	if (end != colon + 5 || v > 65535 || *end != ' ')
		return false;
	*port = (uint16_t)v;
	v = strtoul(end + 1, &end, 10);
	if (*hr_strtrim(end) || v > UINT32_MAX)
		return false;
	*backlog = (uint32_t)v;
	return true;
}

/* Fills listener backlogs from a snapshot's DIR/headroom/backlogs, which
 * /proc/net/tcp does not show. A tree made with cp has none: then the
 * backlogs stay unknown. */
static void backlogs_tree(struct run *r)
{
	char path[4096], line[HR_BACKLOGS_MAX_LINE + 2];
	unsigned long lineno = 0, nbad = 0;
	int fd = hr_probe_tree_open(r, HR_PROBE_BACKLOGS, O_RDONLY | O_NONBLOCK);
	struct stat st;
	FILE *in;

	hr_path_at(path, sizeof(path), r->root, HR_PROBE_BACKLOGS);
	if (fd < 0) {
		if (fd != -ENOENT)
			hr_facts_add_problem(r->f, path, "%s", hr_probe_why(fd));
		return;
	}
	/* Streamed line by line: one line per listening socket, so a box with
	 * many SO_REUSEPORT listeners may exceed the small-file buffer. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(in = fdopen(fd, "r"))) {
		hr_facts_add_problem(r->f, path, "%s", hr_probe_why(-EINVAL));
		close(fd);
		return;
	}
	while (fgets(line, sizeof(line), in)) {
		int family;
		uint8_t addr[16];
		uint16_t port;
		uint32_t backlog;
		size_t len = strlen(line);

		lineno++;
		/* fgets stops at the bound; a line cut short of it without a
		 * newline before the end of the file held a NUL byte. */
		if (len == 0 || (line[len - 1] != '\n' && (len > HR_BACKLOGS_MAX_LINE || !feof(in)))) {
			hr_facts_add_problem(r->f, path, "line %lu: %s; rest of the file not read", lineno,
					     len > HR_BACKLOGS_MAX_LINE
						     ? "longer than " HR_STR(HR_BACKLOGS_MAX_LINE) " bytes"
						     : "binary data (a NUL byte)");
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (!backlog_line(line, &family, addr, &port, &backlog)) {
			hr_facts_add_problem(r->f, path, "line %lu: not 'ADDRESS:PORT BACKLOG'; skipped", lineno);
			if (++nbad == HR_BACKLOGS_MAX_BAD) {
				hr_facts_add_problem(r->f, path, "%d malformed lines; rest of the file not read",
						     HR_BACKLOGS_MAX_BAD);
				break;
			}
		} else {
			hr_facts_set_listener_backlog(r->f, family, addr, port, backlog);
		}
	}
	fclose(in);
}

/* Sockets of a captured tree: ROOT/proc/net/tcp and tcp6, LISTEN heads first. */
void hr_probe_sockets_tree(struct run *r, char *label, size_t lsz)
{
	static const char *const files[2] = {F_TCP, F_TCP6};
	static const int fams[2] = {AF_INET, AF_INET6};
	hr_procnet *p[2] = {NULL, NULL};
	char path[2][4096];
	int i, err, opened = 0;
	long n, total = 0;

	for (i = 0; i < 2; i++) {
		if (hr_path_at(path[i], sizeof(path[i]), r->root, files[i]) < 0)
			continue;
		p[i] = hr_procnet_open_fd(hr_probe_tree_open(r, files[i], O_RDONLY | O_NONBLOCK), path[i], fams[i], &err);
		if (!p[i]) {
			/* No tcp6 is normal on a box without IPv6; every kernel
			 * has tcp, and a table refused hides its sockets. */
			if (!(i == 1 && err == -ENOENT))
				hr_facts_add_input_error(r->f, path[i], "%s", hr_probe_why(err));
			continue;
		}
		opened++;
	}
	hr_probe_msgf(label, lsz, "%s/proc/net/tcp%s", r->root, p[1] ? "{,6}" : "");
	/* Pass 1: every LISTEN line of both files, so that pass 2 can tell
	 * inbound sockets (local port listening) from outbound ones. */
	for (i = 0; i < 2; i++) {
		if (!p[i])
			continue;
		n = hr_procnet_listeners(p[i], r->f);
		if (n < 0) {
			/* An empty tcp6 is a tree's way of saying "no IPv6" (as a
			 * missing one is): a problem, not a refused input. */
			if (i == 1 && n == -ENODATA)
				hr_facts_add_problem(r->f, path[i], "read failed: %s", hr_probe_why(n));
			else if (n != -EBADMSG)
				hr_facts_add_input_error(r->f, path[i], "read failed: %s", hr_probe_why(n));
			hr_procnet_close(p[i]);
			p[i] = NULL;
			opened--;
			continue;
		}
		total += n;
	}
	backlogs_tree(r);
	for (i = 0; i < 2; i++) {
		if (!p[i])
			continue;
		n = hr_procnet_rest(p[i], r->f);
		if (n < 0)
			hr_facts_add_input_error(r->f, path[i], "read failed: %s (sockets after this point not counted)",
					     hr_probe_why(n));
		else
			total += n;
		hr_procnet_close(p[i]);
	}
	if (opened > 0) {
		hr_facts_sockets_done(r->f);
		r->usable += total > 0 ? total : 1; /* an empty table is a fact too */
	}
}

/* Sockets of the live system (this network namespace) via sock_diag. */
void hr_probe_sockets_live(struct run *r, bool idle)
{
	struct hr_sockdiag_opts o = {.tcp_info = idle, .buffers = true, .udp = true};
	struct hr_err e = {0};
	long n = hr_sockdiag_dump_opts(r->f, &o, &e);

	if (n < 0) {
		hr_facts_add_input_error(r->f, "sockets", "%s", e.msg[0] ? e.msg : hr_strerror((int)n));
		return;
	}
	hr_facts_sockets_done(r->f);
	r->usable += n > 0 ? n : 1;
}
