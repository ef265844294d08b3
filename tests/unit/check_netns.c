/* Unit tests of the namespace layer that need no privileges: the names
 * --netns accepts, container ids from real-world cgroup paths, and the
 * identity of this process's own namespace. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check-run.h"
#include "netns.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(test_names)
{
	struct hr_err err = {0};

	ck_assert_int_eq(hr_netns_valid_name("web", &err), 0);
	ck_assert_int_eq(hr_netns_valid_name("cni-1234-abcd", &err), 0);
	ck_assert_int_eq(hr_netns_valid_name("a..b", &err), 0); /* one component, not '..' */
	ck_assert_int_eq(hr_netns_valid_name("", &err), -EINVAL);
	ck_assert_int_eq(hr_netns_valid_name(".", &err), -EINVAL);
	ck_assert_int_eq(hr_netns_valid_name("..", &err), -EINVAL);
	hr_err_clear(&err);
	ck_assert_int_eq(hr_netns_valid_name("../etc", &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "'../etc'") != NULL, "%s", err.msg);
	ck_assert_int_eq(hr_netns_valid_name("a/b", &err), -EINVAL);
	ck_assert_int_eq(hr_netns_valid_name(NULL, &err), -EINVAL);
}
END_TEST

/* One cgroup file text -> expected runtime and id ("" for none). */
static void cg(const char *text, const char *runtime, const char *id)
{
	char rt[16], got[65];
	bool found = hr_netns_container_from_cgroup(text, rt, got);

	ck_assert_msg(found == (*id != '\0'), "%s: found %d", text, found);
	ck_assert_str_eq(got, id);
	ck_assert_str_eq(rt, runtime);
}

START_TEST(test_cgroup)
{
	cg("0::/system.slice/docker-" ID ".scope\n", "docker", ID);
	cg("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b.slice/cri-containerd-" ID
	   ".scope\n", "containerd", ID);
	cg("0::/kubepods.slice/kubepods-pod1a2b.slice/crio-" ID ".scope\n", "crio", ID);
	cg("0::/machine.slice/libpod-" ID ".scope/container\n", "podman", ID);
	/* cgroup v1, several lines: the first id wins. */
	cg("12:memory:/docker/" ID "\n11:cpu:/docker/" ID "\n", "docker", ID);
	cg("4:pids:/kubepods/besteffort/pod0c7e1f1a-0000-4000-8000-000000000000/" ID "\n", "kubepods", ID);
	/* Not containers: a user session, a too short or too long hex run, upper case. */
	cg("0::/user.slice/user-0.slice/session-3.scope\n", "", "");
	cg("0::/system.slice/docker-0123456789abcdef.scope\n", "", "");
	cg("0::/x/" ID "0\n", "", "");
	cg("0::/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope\n", "", "");
	cg("", "", "");
}
END_TEST

START_TEST(test_current)
{
	struct stat st;
	uint64_t dev, ino;
	int fd = hr_netns_open_current();

	if (fd < 0 && (fd == -EACCES || fd == -ENOENT))
		return; /* no /proc here */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hr_netns_fd_id(fd, &dev, &ino), 0);
	ck_assert_int_eq(stat("/proc/self/ns/net", &st), 0);
	ck_assert_uint_eq(ino, (uint64_t)st.st_ino);
	ck_assert_uint_eq(dev, (uint64_t)st.st_dev);
	close(fd);
}
END_TEST

/* hr_netns_self: this process's namespace, child or not compared with PID 1's. */
START_TEST(test_self)
{
	struct stat self, init;
	uint64_t ino = 0;
	bool child = true;
	int r = hr_netns_self(&ino, &child);

	if (stat("/proc/self/ns/net", &self) < 0)
		return; /* no /proc here */
	ck_assert_int_ge(r, 0);
	ck_assert_uint_eq(ino, (uint64_t)self.st_ino);
	if (stat("/proc/1/ns/net", &init) == 0) {
		ck_assert_int_eq(r, 0);
		ck_assert(child == (self.st_ino != init.st_ino || self.st_dev != init.st_dev));
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("netns");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_cgroup);
	tcase_add_test(tc, test_current);
	tcase_add_test(tc, test_self);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return hr_check_run(suite());
}
