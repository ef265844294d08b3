/* Unit tests of the sock_diag dump against real sockets in a private network
 * namespace (each test runs in its own forked process and unshares one). */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "facts.h"
#include "sockdiag.h"

/* Moves this process into a fresh network namespace with lo up; false if not allowed. */
static bool enter_netns(void)
{
	struct ifreq ifr;
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return false;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		close(fd);
		return false;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* A listener on loopback (IPv4 or IPv6) with a kernel-chosen port. */
static int listen_on(int family, int backlog, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(family, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss,
			      family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)),
			 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A blocking client connected to the loopback listener at port. */
static int connect_to(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	int fd = socket(family, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	}
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss,
				 family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)),
			 0);
	return fd;
}

static double item_num(hr_facts *f, enum hr_coll c, size_t i, const char *field)
{
	struct hr_value v;

	ck_assert_int_eq(hr_facts_item_get(f, c, i, field, &v), 0);
	ck_assert(v.type == HR_V_NUM || v.type == HR_V_BOOL);
	return v.num;
}

/* Index of the collection item whose subject is s; fails the test if none. */
static size_t find_item(hr_facts *f, enum hr_coll c, const char *s)
{
	size_t i;

	for (i = 0; i < hr_facts_count(f, c); i++)
		if (!strcmp(hr_facts_item_subject(f, c, i), s))
			return i;
	ck_abort_msg("no item %s", s);
	return 0;
}

START_TEST(test_empty_namespace)
{
	struct hr_err err = {0};
	hr_facts *f;

	ck_assert(enter_netns());
	f = hr_facts_new();
	ck_assert_int_eq(hr_sockdiag_dump(f, &err), 0);
	ck_assert_str_eq(err.msg, "");
	ck_assert_uint_eq(hr_facts_state_count(f, HR_TIME_WAIT), 0);
	hr_facts_free(f);
}
END_TEST

START_TEST(test_states_queues_families)
{
	struct hr_err err = {0};
	uint16_t p4, p6;
	int l4, l6, c4[3], i;
	char subj[64];
	hr_facts *f;
	size_t k;

	ck_assert(enter_netns());
	l4 = listen_on(AF_INET, 7, &p4);
	l6 = listen_on(AF_INET6, 5, &p6);
	/* 3 connections left in the IPv4 accept queue: 3 client + 3 child ESTABLISHED. */
	for (i = 0; i < 3; i++)
		c4[i] = connect_to(AF_INET, p4);
	/* 2 IPv6 connections the client closes first: TIME_WAIT on the client side. */
	for (i = 0; i < 2; i++) {
		int c = connect_to(AF_INET6, p6), s = accept(l6, NULL, NULL);
		char b;

		ck_assert_int_ge(s, 0);
		close(c);
		ck_assert_int_eq(read(s, &b, 1), 0); /* the client's FIN */
		close(s);
	}
	usleep(50 * 1000); /* the last ACK on loopback */

	f = hr_facts_new();
	ck_assert_int_eq(hr_sockdiag_dump(f, &err), 2 + 6 + 2);
	ck_assert_uint_eq(hr_facts_state_count(f, HR_LISTEN), 2);
	ck_assert_uint_eq(hr_facts_state_count(f, HR_ESTABLISHED), 6);
	ck_assert_uint_eq(hr_facts_state_count(f, HR_TIME_WAIT), 2);

	/* LISTEN: idiag_rqueue is the accept queue, idiag_wqueue the backlog. */
	snprintf(subj, sizeof(subj), "127.0.0.1:%u", p4);
	k = find_item(f, HR_COLL_LISTENERS, subj);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, k, "listener.queue"), 3);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, k, "listener.backlog"), 7);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, k, "listener.established"), 3);
	snprintf(subj, sizeof(subj), "[::1]:%u", p6);
	k = find_item(f, HR_COLL_LISTENERS, subj);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, k, "listener.queue"), 0);
	ck_assert_double_eq(item_num(f, HR_COLL_LISTENERS, k, "listener.backlog"), 5);

	/* Outbound: the clients' side, with addresses and ports in host form. */
	snprintf(subj, sizeof(subj), "127.0.0.1:%u", p4);
	k = find_item(f, HR_COLL_DESTINATIONS, subj);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, k, "dest.established"), 3);
	snprintf(subj, sizeof(subj), "[::1]:%u", p6);
	k = find_item(f, HR_COLL_DESTINATIONS, subj);
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, k, "dest.timewait"), 2);
	/* idiag_expires is the remaining TIME_WAIT time: both were born within 1 s. */
	ck_assert_double_eq(item_num(f, HR_COLL_DESTINATIONS, k, "dest.born_1s"), 2);
	ck_assert_uint_eq(hr_facts_count(f, HR_COLL_DESTINATIONS), 2);

	for (i = 0; i < 3; i++)
		close(c4[i]);
	close(l4);
	close(l6);
	hr_facts_free(f);
}
END_TEST

/* True when this process may create network namespaces (tried in a child). */
static bool can_netns(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(enter_netns() ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
	Suite *s = suite_create("sockdiag");
	TCase *tc = tcase_create("netns");
	SRunner *sr;
	int failed;

	if (!can_netns()) {
		printf("SKIP: needs root to create a network namespace\n");
		return 77;
	}
	tcase_add_test(tc, test_empty_namespace);
	tcase_add_test(tc, test_states_queues_families);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
